/** What the process exits with, so scripts can tell outcomes apart. */
export const exitCodes = {
  ok: 0,
  /** An operation ended FAILED or CANCELLED, or the API answered an error. */
  failed: 1,
  /** Bad command-line usage (commander's own). */
  usage: 2,
  /** No login, or the token was refused. */
  unauthenticated: 3,
  /** The gateway could not be reached. */
  unreachable: 4,
} as const;

/** An error that ends the command with a message and an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  readonly code: string | undefined;
  constructor(message: string, exitCode: number, code?: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code;
  }
}
