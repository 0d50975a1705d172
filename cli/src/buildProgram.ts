/**
 * The `novacron` command line, built on the typed SDK. `run(argv, io)` parses and runs one command and
 * returns the exit code (see exitCodes.ts), so tests can run it in process as well as through the binary.
 */
import { Command, CommanderError } from 'commander';
import { addCompletionCommand } from './commands/completionCommand.ts';
import { addLoginCommands } from './commands/loginCommands.ts';
import { addOperationCommands } from './commands/opsCommands.ts';
import { addVmCommands } from './commands/vmCommands.ts';
import { exitCodes } from './exitCodes.ts';
import type { Io } from './Io.ts';
import { colorsFor } from './render.ts';
import { toCliError } from './session.ts';

export { exitCodes } from './exitCodes.ts';
export type { Io } from './Io.ts';

/** Builds the program for one run. */
export function buildProgram(io: Io): Command {
  const program = new Command('novacron')
    .description('NovaCron: VMs across clouds from a terminal. Logs in once (`novacron login`); NOVACRON_TOKEN and NOVACRON_URL override.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError('(run with --help for usage)');
  addLoginCommands(program, io);
  addVmCommands(program, io);
  addOperationCommands(program, io);
  addCompletionCommand(program, io);
  return program;
}

/** Runs one command line; resolves to the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; usage errors are already printed by commander.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    const failure = toCliError(error);
    io.stderr.write(`${colorsFor({ ...io, stdout: io.stderr }).red('error')} ${failure.message}\n`);
    return failure.exitCode;
  }
}
