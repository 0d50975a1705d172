import type { PlacementCandidateFieldsFragment, PlacementRejectionFieldsFragment } from '@novacron/sdk';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });
const usdMonthly = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

/** Ranked placement candidates with price and score breakdown; `onUse` adds a button per candidate. */
export function PlacementCandidates({ candidates, onUse, caption }: { candidates: PlacementCandidateFieldsFragment[]; onUse?: (candidate: PlacementCandidateFieldsFragment) => void; caption: string }) {
  return (
    <table className="grid">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Rank</th>
          <th scope="col">Provider</th>
          <th scope="col">Region</th>
          <th scope="col">Type</th>
          <th scope="col">vCPU / GiB</th>
          <th scope="col">Per hour</th>
          <th scope="col">Per month</th>
          <th scope="col">Score</th>
          <th scope="col">Breakdown (value × weight)</th>
          {onUse ? <th scope="col">Use</th> : null}
        </tr>
      </thead>
      <tbody>
        {candidates.map((candidate, index) => (
          <tr key={`${candidate.provider}/${candidate.region}/${candidate.instanceType}`} data-testid="placement-candidate">
            <td>{index + 1}</td>
            <td>{candidate.provider}</td>
            <td>{candidate.region}</td>
            <td>
              {candidate.instanceType}
              {candidate.spot ? ' (spot)' : ''}
            </td>
            <td>
              {candidate.vcpus} / {candidate.memoryGib}
              {candidate.gpu ? ` · ${candidate.gpu.count}× ${candidate.gpu.name}` : ''}
            </td>
            <td>{usd.format(candidate.hourlyPrice)}</td>
            <td>{usdMonthly.format(candidate.monthlyPrice)}</td>
            <td>{candidate.score.toFixed(3)}</td>
            <td>
              {candidate.scoreBreakdown.map((term) => (
                <span key={term.name} className="term">
                  {term.name} {term.value.toFixed(2)} × {term.weight.toFixed(2)}
                </span>
              ))}
            </td>
            {onUse ? (
              <td>
                <button type="button" onClick={() => onUse(candidate)} aria-label={`Use ${candidate.provider} ${candidate.region} ${candidate.instanceType}`}>
                  Use
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Why offerings were ruled out: a count per reason, with the cheapest examples. */
export function PlacementRejections({ rejected }: { rejected: PlacementRejectionFieldsFragment[] }) {
  if (rejected.length === 0) return null;
  return (
    <details>
      <summary>Ruled out: {rejected.map((entry) => `${entry.reason} ${entry.count}`).join(', ')}</summary>
      <ul>
        {rejected.flatMap((entry) =>
          entry.examples.map((example) => (
            <li key={`${entry.reason}/${example.provider}/${example.region}/${example.instanceType}`}>
              <code>{entry.reason}</code> {example.provider} {example.region} {example.instanceType}: {example.detail}
            </li>
          )),
        )}
      </ul>
    </details>
  );
}
