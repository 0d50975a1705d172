import type { Command } from 'commander';
import { PlacementOptionsDocument } from '@novacron/sdk';
import type { Io } from '../Io.ts';
import { printRows } from '../render.ts';
import { withSession } from './vmCommands.ts';

const collect = (value: string, previous: string[] = []) => [...previous, value];
const number = (value: string) => Number(value);

/** `placement suggest`: where a VM with these needs should run, ranked and explained. */
export function addPlacementCommands(program: Command, io: Io): void {
  program
    .command('placement')
    .description('where a VM should run')
    .command('suggest')
    .description('rank places (provider, region, instance type) for the requirements; the cheapest feasible first with default weights')
    .requiredOption('--vcpus <n>', 'at least this many vCPUs', number)
    .requiredOption('--memory <GiB>', 'at least this much memory', number)
    .option('--arch <arch>', 'x86_64 or arm64')
    .option('--provider <provider>', 'allowed provider (repeatable)', collect)
    .option('--region <region>', 'allowed region (repeatable)', collect)
    .option('--prefer <region>', 'preferred region (repeatable)', collect)
    .option('--max-price <usdPerHour>', 'most per hour', number)
    .option('--spot', 'spot prices')
    .option('--first <n>', 'how many candidates', number, 5)
    .option('--json', 'JSON for scripts')
    .action(async (options: { vcpus: number; memory: number; arch?: string; provider?: string[]; region?: string[]; prefer?: string[]; maxPrice?: number; spot?: boolean; first: number; json?: boolean }) =>
      withSession(io, async (session) => {
        const { placementOptions } = await session.client.request(PlacementOptionsDocument, {
          requirements: {
            vcpus: options.vcpus,
            memoryGib: options.memory,
            arch: options.arch,
            providers: options.provider,
            regions: options.region,
            preferRegions: options.prefer,
            maxHourlyPrice: options.maxPrice,
            spot: options.spot ?? false,
          },
          first: options.first,
        });
        printRows(io, {
          json: Boolean(options.json),
          value: placementOptions,
          head: ['#', 'PROVIDER', 'REGION', 'TYPE', 'VCPUS', 'MEMORY GiB', '$/HOUR', '$/MONTH', 'SCORE'],
          rows: placementOptions.candidates.map((candidate, index) => [
            index + 1,
            candidate.provider,
            candidate.region,
            candidate.instanceType,
            candidate.vcpus,
            candidate.memoryGib,
            candidate.hourlyPrice.toFixed(4),
            candidate.monthlyPrice.toFixed(2),
            candidate.score.toFixed(3),
          ]),
        });
        if (!options.json && placementOptions.rejected.length > 0) {
          io.stdout.write(`rejected: ${placementOptions.rejected.map((rejection) => `${rejection.reason} ${rejection.count}`).join(', ')}\n`);
        }
      }),
    );
}
