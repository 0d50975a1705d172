/** Where a command writes and what it knows of its terminal: the process's, or a test's. */
export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Colour and progress bars only for a person at a terminal, never with NO_COLOR or for a pipe. */
export function isInteractive(io: Io): boolean {
  return Boolean(io.stdout.isTTY) && io.env.NO_COLOR === undefined && io.env.TERM !== 'dumb';
}
