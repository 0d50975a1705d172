import { PlacementOptionsDocument, type PlacementCandidateFieldsFragment, type PlacementOptionsQuery } from '@novacron/sdk';
import { useId, useState, type FormEvent } from 'react';
import { useClient } from 'urql';
import { ErrorMessage } from './ErrorMessage.tsx';
import { PlacementCandidates, PlacementRejections } from './PlacementCandidates.tsx';

/** "Suggest placement": requirements in, `placementOptions` ranked candidates out; picking one fills the create form. */
export function SuggestPlacement({ onUse }: { onUse(candidate: PlacementCandidateFieldsFragment): void }) {
  const client = useClient();
  const [vcpus, setVcpus] = useState('2');
  const [memoryGib, setMemoryGib] = useState('4');
  const [arch, setArch] = useState('');
  const [maxHourlyPrice, setMaxHourlyPrice] = useState('');
  const [result, setResult] = useState<PlacementOptionsQuery['placementOptions'] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const ids = { vcpus: useId(), memory: useId(), arch: useId(), price: useId() };

  const suggest = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const requirements = {
      vcpus: Number(vcpus),
      memoryGib: Number(memoryGib),
      ...(arch ? { arch } : {}),
      ...(maxHourlyPrice ? { maxHourlyPrice: Number(maxHourlyPrice) } : {}),
    };
    const answer = await client.query(PlacementOptionsDocument, { requirements, first: 5 }, { requestPolicy: 'network-only' }).toPromise();
    setBusy(false);
    if (answer.error) return setError(answer.error);
    setResult(answer.data?.placementOptions ?? null);
  };

  return (
    <section className="suggest" aria-labelledby="suggest-title">
      <h2 id="suggest-title">Suggest placement</h2>
      <form className="inline" onSubmit={(event) => void suggest(event)}>
        <label htmlFor={ids.vcpus}>vCPUs</label>
        <input id={ids.vcpus} type="number" min={1} value={vcpus} onChange={(event) => setVcpus(event.target.value)} />
        <label htmlFor={ids.memory}>Memory (GiB)</label>
        <input id={ids.memory} type="number" min={0} step="0.5" value={memoryGib} onChange={(event) => setMemoryGib(event.target.value)} />
        <label htmlFor={ids.arch}>Architecture</label>
        <select id={ids.arch} value={arch} onChange={(event) => setArch(event.target.value)}>
          <option value="">any</option>
          <option value="x86_64">x86_64</option>
          <option value="arm64">arm64</option>
        </select>
        <label htmlFor={ids.price}>Max USD per hour</label>
        <input id={ids.price} type="number" min={0} step="0.01" value={maxHourlyPrice} onChange={(event) => setMaxHourlyPrice(event.target.value)} />
        <button type="submit" disabled={busy}>
          Suggest placement
        </button>
      </form>
      <ErrorMessage error={error} />
      {result ? (
        <>
          <PlacementCandidates candidates={result.candidates} onUse={onUse} caption={`${result.feasibleCount} feasible offerings; the best ${result.candidates.length}`} />
          <PlacementRejections rejected={result.rejected} />
        </>
      ) : null}
    </section>
  );
}
