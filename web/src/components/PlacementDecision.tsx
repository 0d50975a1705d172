import { VmPlacementDocument } from '@novacron/sdk';
import { useQuery } from 'urql';
import { ErrorMessage } from './ErrorMessage.tsx';
import { PlacementCandidates, PlacementRejections } from './PlacementCandidates.tsx';
import { StatusBadge } from './StatusBadge.tsx';

const usdMonthly = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2, signDisplay: 'always' });

/** The VM's placement decision (requirements, chosen candidate, reason, attempts) and cheaper alternatives. */
export function PlacementDecision({ id }: { id: string }) {
  const [{ data, error }] = useQuery({ query: VmPlacementDocument, variables: { id } });
  const vm = data?.vm;
  return (
    <section aria-labelledby="placement-title">
      <h2 id="placement-title">Placement</h2>
      <ErrorMessage error={error} />
      {vm && !vm.placement ? <p>Created with an explicit provider, region and type (no placement decision).</p> : null}
      {vm?.placement ? (
        <>
          <p data-testid="placement-reason">{vm.placement.reason}</p>
          <p className="muted">
            Asked for {vm.placement.requirements.vcpus} vCPU, {vm.placement.requirements.memoryGib} GiB
            {vm.placement.requirements.arch ? `, ${vm.placement.requirements.arch}` : ''}
            {vm.placement.requirements.maxHourlyPrice ? `, at most $${vm.placement.requirements.maxHourlyPrice}/h` : ''}.
          </p>
          {vm.placement.chosen ? <PlacementCandidates candidates={[vm.placement.chosen]} caption="Chosen" /> : null}
          <PlacementCandidates candidates={vm.placement.candidates} caption="Candidates considered, best first" />
          <PlacementRejections rejected={vm.placement.rejected} />
          {vm.placement.attempts.length > 0 ? (
            <ol aria-label="Placement attempts">
              {vm.placement.attempts.map((attempt, index) => (
                <li key={index}>
                  <StatusBadge status={attempt.outcome} /> {attempt.provider} {attempt.region} {attempt.instanceType}
                  {attempt.message ? <span className="muted"> — {attempt.message}</span> : null}
                </li>
              ))}
            </ol>
          ) : null}
        </>
      ) : null}
      {vm && vm.alternatives.length > 0 ? (
        <>
          <h3>Alternatives</h3>
          <ul>
            {vm.alternatives.map((alternative) => (
              <li key={`${alternative.candidate.provider}/${alternative.candidate.region}/${alternative.candidate.instanceType}`}>
                {alternative.candidate.provider} {alternative.candidate.region} {alternative.candidate.instanceType}: {usdMonthly.format(alternative.monthlyDifference)} per month
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
