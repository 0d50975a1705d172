import { Option, type Command } from 'commander';
import { CancelOperationDocument, OperationDocument, OperationsDocument, type OperationStatus } from '@novacron/sdk';
import { CliError, exitCodes } from '../exitCodes.ts';
import type { Io } from '../Io.ts';
import { printRows, statusText } from '../render.ts';
import { reportOperation, withSession } from './vmCommands.ts';

/** `ops list`, `ops watch <id>`, `ops cancel <id>`. */
export function addOperationCommands(program: Command, io: Io): void {
  const ops = program.command('ops').description('operations: list, watch live, cancel');
  ops
    .command('list', { isDefault: true })
    .description('list your operations')
    .addOption(new Option('--status <status...>', 'only these statuses').choices(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']))
    .option('--vm <id>', "only this VM's")
    .option('--first <n>', 'page size', (value) => Number.parseInt(value, 10), 50)
    .option('--json', 'JSON for scripts')
    .action(async (options: { status?: OperationStatus[]; vm?: string; first: number; json?: boolean }) =>
      withSession(io, async (session) => {
        const { operations } = await session.client.request(OperationsDocument, { filter: { status: options.status, vmId: options.vm }, first: options.first });
        const nodes = operations.edges.map((edge) => edge.node);
        printRows(io, {
          json: Boolean(options.json),
          value: nodes,
          head: ['ID', 'KIND', 'STATUS', 'PROGRESS', 'VM', 'ERROR'],
          rows: nodes.map((operation) => [operation.id, operation.kind, statusText(io, operation.status), `${operation.progress}%`, operation.vm?.id, operation.error?.code]),
        });
      }),
    );
  ops
    .command('watch <id>')
    .description("follow an operation's steps live until it ends (exit code: 0 SUCCEEDED, 1 FAILED or CANCELLED)")
    .option('--json', 'JSON for scripts')
    .action(async (id: string, options: { json?: boolean }) =>
      withSession(io, async (session) => {
        const { operation } = await session.client.request(OperationDocument, { id });
        if (!operation) throw new CliError(`NOT_FOUND: operation ${id} was not found`, exitCodes.failed, 'NOT_FOUND');
        await reportOperation(session, io, operation, { wait: true, json: options.json });
      }),
    );
  ops
    .command('cancel <id>')
    .description('cancel a queued operation, or ask a running one to stop')
    .option('--json', 'JSON for scripts')
    .action(async (id: string, options: { json?: boolean }) =>
      withSession(io, async (session) => {
        const { cancelOperation } = await session.client.request(CancelOperationDocument, { id });
        await reportOperation(session, io, cancelOperation, { wait: false, json: options.json }).catch((error: unknown) => {
          // A cancelled operation is what was asked for.
          if (error instanceof CliError && error.code === 'CANCELLED') return;
          throw error;
        });
      }),
    );
}
