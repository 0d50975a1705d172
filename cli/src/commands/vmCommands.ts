import { randomUUID } from 'node:crypto';
import { Option, type Command } from 'commander';
import {
  CreateVmDocument,
  DeleteVmDocument,
  RebootVmDocument,
  ResizeVmDocument,
  StartVmDocument,
  StopVmDocument,
  VmDocument,
  VMsDocument,
  type OperationFieldsFragment,
  type VMsQuery,
  type VmStatus,
} from '@novacron/sdk';
import { CliError, exitCodes } from '../exitCodes.ts';
import { followOperation } from '../followOperation.ts';
import type { Io } from '../Io.ts';
import { printRows, statusText } from '../render.ts';
import { openSession, type Session } from '../session.ts';

const vmStatuses = ['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'DELETING', 'DELETED', 'ERROR'];

/** `k=v` (or `k` alone, for "has the label") into a selector. */
function parseLabel(value: string, previous: { key: string; value?: string }[] = []): { key: string; value?: string }[] {
  const [key, ...rest] = value.split('=');
  if (!key) throw new CliError(`--label takes key=value, got "${value}"`, exitCodes.usage);
  return [...previous, rest.length > 0 ? { key, value: rest.join('=') } : { key }];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Runs a command body with a session, closing it after. */
export async function withSession<T>(io: Io, run: (session: Session) => Promise<T>): Promise<T> {
  const session = await openSession(io);
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

/** Prints an operation's handle, or follows it to the end with `--wait`; a failed one ends non-zero with its code. */
export async function reportOperation(session: Session, io: Io, operation: OperationFieldsFragment, options: { wait?: boolean; json?: boolean }): Promise<void> {
  const final = options.wait ? await followOperation(session, io, operation.id, { quiet: Boolean(options.json) }) : operation;
  if (options.json) io.stdout.write(`${JSON.stringify(final, null, 2)}\n`);
  else io.stdout.write(`operation ${final.id} ${final.kind} ${statusText(io, final.status)}${final.vm ? ` (vm ${final.vm.id} ${final.vm.status})` : ''}\n`);
  if (final.status === 'FAILED' || final.status === 'CANCELLED') {
    const code = final.error?.code ?? final.status;
    throw new CliError(`operation ${final.id} ${final.status}: ${code}${final.error?.message ? `: ${final.error.message}` : ''}`, exitCodes.failed, code);
  }
}

/** `vms list`, and `vm show|create|start|stop|reboot|resize|delete`. */
export function addVmCommands(program: Command, io: Io): void {
  program
    .command('vms')
    .description('list VMs')
    .command('list', { isDefault: true })
    .description('list your VMs, newest last')
    .addOption(new Option('--status <status...>', 'only these statuses').choices(vmStatuses))
    .option('--provider <provider>', 'only this provider')
    .option('--region <region>', 'only this region')
    .option('--label <key=value>', 'only VMs with this label (repeatable)', parseLabel)
    .option('--name <text>', 'name contains')
    .option('--all', 'every page, not only the first')
    .option('--first <n>', 'page size', (value) => Number.parseInt(value, 10), 50)
    .option('--json', 'JSON for scripts')
    .action(async (options: { status?: VmStatus[]; provider?: string; region?: string; label?: { key: string; value?: string }[]; name?: string; all?: boolean; first: number; json?: boolean }) =>
      withSession(io, async (session) => {
        const filter = { status: options.status, provider: options.provider, region: options.region, labels: options.label, nameContains: options.name };
        const vms = [];
        let after: string | null | undefined = null;
        do {
          const { vms: page }: VMsQuery = await session.client.request(VMsDocument, { filter, first: options.first, after });
          vms.push(...page.edges.map((edge) => edge.node));
          after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        } while (options.all && after);
        printRows(io, {
          json: Boolean(options.json),
          value: vms,
          head: ['ID', 'NAME', 'STATUS', 'PROVIDER', 'REGION', 'TYPE', 'PUBLIC IP'],
          rows: vms.map((vm) => [vm.id, vm.name, statusText(io, vm.status), vm.provider, vm.region, vm.instanceType, vm.publicIp]),
        });
      }),
    );

  const vm = program.command('vm').description('one VM: show, create and lifecycle actions');
  vm.command('show <id>')
    .description('show a VM')
    .option('--json', 'JSON for scripts')
    .action(async (id: string, options: { json?: boolean }) =>
      withSession(io, async (session) => {
        const { vm: found } = await session.client.request(VmDocument, { id });
        if (!found) throw new CliError(`NOT_FOUND: VM ${id} was not found`, exitCodes.failed, 'NOT_FOUND');
        printRows(io, { json: Boolean(options.json), value: found, head: ['FIELD', 'VALUE'], rows: Object.entries(found).map(([key, value]) => [key, typeof value === 'object' ? JSON.stringify(value) : (value as string)]) });
      }),
    );
  vm.command('create')
    .description('create a VM (returns its operation; --wait follows it to the end)')
    .requiredOption('--name <name>', 'lower-case letters, digits and hyphens')
    .option('--provider <provider>', 'aws, azure or gcp')
    .option('--region <region>', 'a region of the provider')
    .option('--type <instanceType>', 'an instance type offered there')
    .option('--image <image>', 'an image the provider accepts', 'ubuntu-24.04')
    .option('--label <key=value>', 'a label (repeatable)', collect)
    .option('--key <idempotencyKey>', 'idempotency key (default: a new one)')
    .option('--wait', 'follow the operation to its end with a progress bar')
    .option('--json', 'JSON for scripts')
    .action(async (options: { name: string; provider?: string; region?: string; type?: string; image: string; label?: string[]; key?: string; wait?: boolean; json?: boolean }) =>
      withSession(io, async (session) => {
        if (!options.provider || !options.region || !options.type) throw new CliError('give --provider, --region and --type', exitCodes.usage);
        const labels = Object.fromEntries((options.label ?? []).map((entry) => parseLabel(entry)[0]).map((selector) => [selector?.key, selector?.value ?? '']));
        const { createVM } = await session.client.request(CreateVmDocument, {
          input: { name: options.name, provider: options.provider, region: options.region, instanceType: options.type, image: options.image, labels },
          idempotencyKey: options.key ?? `cli-${randomUUID()}`,
        });
        await reportOperation(session, io, createVM, options);
      }),
    );
  const lifecycle: [name: string, send: (session: Session, variables: { id: string; idempotencyKey: string }) => Promise<OperationFieldsFragment>][] = [
    ['start', async (session, variables) => (await session.client.request(StartVmDocument, variables)).startVM],
    ['stop', async (session, variables) => (await session.client.request(StopVmDocument, variables)).stopVM],
    ['reboot', async (session, variables) => (await session.client.request(RebootVmDocument, variables)).rebootVM],
    ['delete', async (session, variables) => (await session.client.request(DeleteVmDocument, variables)).deleteVM],
  ];
  for (const [name, send] of lifecycle) {
    vm.command(`${name} <id>`)
      .description(`${name} a VM`)
      .option('--wait', 'follow the operation to its end')
      .option('--json', 'JSON for scripts')
      .action(async (id: string, options: { wait?: boolean; json?: boolean }) =>
        withSession(io, async (session) => {
          await reportOperation(session, io, await send(session, { id, idempotencyKey: `cli-${randomUUID()}` }), options);
        }),
      );
  }
  vm.command('resize <id> <instanceType>')
    .description('change a VM instance type')
    .option('--wait', 'follow the operation to its end')
    .option('--json', 'JSON for scripts')
    .action(async (id: string, instanceType: string, options: { wait?: boolean; json?: boolean }) =>
      withSession(io, async (session) => {
        const { resizeVM } = await session.client.request(ResizeVmDocument, { id, instanceType, idempotencyKey: `cli-${randomUUID()}` });
        await reportOperation(session, io, resizeVM, options);
      }),
    );
}
