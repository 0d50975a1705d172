import { Option, type Command } from 'commander';
import { BudgetsDocument, CostReportDocument, type CostGroupBy, type CostStep } from '@novacron/sdk';
import { CliError, exitCodes } from '../exitCodes.ts';
import type { Io } from '../Io.ts';
import { printRows } from '../render.ts';
import { withSession } from './vmCommands.ts';

const groupChoices = ['provider', 'region', 'instance-type', 'label'];
const asGroup = (value: string) => value.toUpperCase().replaceAll('-', '_') as CostGroupBy;

/** The first instant of the current UTC month. */
function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** `cost report` and `budgets`. */
export function addCostCommands(program: Command, io: Io): void {
  program
    .command('cost')
    .description('what your VMs cost')
    .command('report')
    .description('cost between two instants, grouped; groups add up to the total exactly')
    .option('--from <iso>', 'start (default: the start of this UTC month)')
    .option('--to <iso>', 'end (default: now)')
    .addOption(new Option('--group-by <key...>', 'grouping').choices(groupChoices).default(['provider']))
    .option('--label-key <key>', 'with --group-by label: the label')
    .addOption(new Option('--step <step>', 'bucket size').choices(['day', 'month']).default('day'))
    .option('--json', 'JSON for scripts')
    .action(async (options: { from?: string; to?: string; groupBy: string[]; labelKey?: string; step: string; json?: boolean }) =>
      withSession(io, async (session) => {
        const to = options.to ? new Date(options.to) : new Date();
        const from = options.from ? new Date(options.from) : monthStart(to);
        if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new CliError('--from and --to take ISO 8601 instants', exitCodes.usage);
        const { costReport } = await session.client.request(CostReportDocument, {
          from: from.toISOString(),
          to: to.toISOString(),
          groupBy: options.groupBy.map(asGroup),
          labelKey: options.labelKey,
          step: options.step.toUpperCase() as CostStep,
        });
        const keyOf = (key: Record<string, unknown>) =>
          Object.values(key)
            .filter((value) => value !== null && value !== undefined)
            .join(' / ');
        printRows(io, {
          json: Boolean(options.json),
          value: costReport,
          head: ['GROUP', `TOTAL ${costReport.currency}`],
          rows: [...costReport.groups.map((group) => [keyOf(group.key), group.total]), ['(total)', costReport.total]],
        });
      }),
    );
  program
    .command('budgets')
    .description('your budgets: spent, forecast and remaining this period')
    .option('--json', 'JSON for scripts')
    .action(async (options: { json?: boolean }) =>
      withSession(io, async (session) => {
        const { budgets } = await session.client.request(BudgetsDocument);
        printRows(io, {
          json: Boolean(options.json),
          value: budgets,
          head: ['NAME', 'AMOUNT', 'SPENT', 'FORECAST', 'REMAINING', 'ACTION'],
          rows: budgets.map((budget) => [budget.name, budget.amount, budget.spent, budget.forecast, budget.remaining, budget.action]),
        });
      }),
    );
}
