import { DeleteVmDocument, RebootVmDocument, ResizeVmDocument, StartVmDocument, StopVmDocument, VmDetailDocument, VmEventsDocument, ProvidersDocument, type OperationFieldsFragment, type VmFieldsFragment } from '@novacron/sdk';
import { useId, useMemo, useState } from 'react';
import { useMutation, useQuery, useSubscription } from 'urql';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { OperationProgress } from '../components/OperationProgress.tsx';
import { PlacementDecision } from '../components/PlacementDecision.tsx';
import { VmCost, VmMetricsChart } from '../components/VmInsights.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { newIdempotencyKey } from '../graphql/idempotencyKey.ts';

type Action = 'start' | 'stop' | 'reboot' | 'delete';

/** One VM: live status (`vmEvents` for its id), its operations with live steps, and console actions. */
export function VmPage({ id }: { id: string }) {
  const [{ data, error, fetching }] = useQuery({ query: VmDetailDocument, variables: { id } });
  const [{ data: providerData }] = useQuery({ query: ProvidersDocument });
  const [{ data: live }] = useSubscription({ query: VmEventsDocument, variables: { filter: { ids: [id] } } }, (previous: VmFieldsFragment | undefined, event) =>
    !previous || previous.version < event.vmEvents.vm.version ? event.vmEvents.vm : previous,
  );
  const [started, setStarted] = useState<OperationFieldsFragment[]>([]);
  const [confirm, setConfirm] = useState<Action | null>(null);
  const [newType, setNewType] = useState('');
  const [actionError, setActionError] = useState<unknown>(null);
  const [, start] = useMutation(StartVmDocument);
  const [, stop] = useMutation(StopVmDocument);
  const [, reboot] = useMutation(RebootVmDocument);
  const [, remove] = useMutation(DeleteVmDocument);
  const [, resize] = useMutation(ResizeVmDocument);
  const resizeId = useId();

  const loaded = data?.vm ?? null;
  const vm = live && loaded && live.version > loaded.version ? live : (loaded ?? live);
  const operations = useMemo(() => {
    const known = new Map<string, OperationFieldsFragment>();
    for (const operation of started) known.set(operation.id, operation);
    for (const edge of loaded?.operations.edges ?? []) if (!known.has(edge.node.id)) known.set(edge.node.id, edge.node);
    return [...known.values()];
  }, [started, loaded]);
  const types = useMemo(() => {
    const provider = providerData?.providers.find((entry) => entry.name === vm?.provider);
    return provider?.regions.find((region) => region.name === vm?.region)?.instanceTypes ?? [];
  }, [providerData, vm?.provider, vm?.region]);

  if (fetching && !vm) return <p role="status">Loading VM…</p>;
  if (!vm) return <ErrorMessage error={error ?? new Error(`VM ${id} was not found`)} />;

  const run = async (action: Action | 'resize') => {
    setConfirm(null);
    setActionError(null);
    const idempotencyKey = newIdempotencyKey(`${action}-${id}`);
    const result =
      action === 'start' ? await start({ id, idempotencyKey })
      : action === 'stop' ? await stop({ id, idempotencyKey })
      : action === 'reboot' ? await reboot({ id, idempotencyKey })
      : action === 'delete' ? await remove({ id, idempotencyKey })
      : await resize({ id, instanceType: newType, idempotencyKey });
    if (result.error) return setActionError(result.error);
    const operation = result.data && Object.values(result.data)[0];
    if (operation) setStarted((previous) => [operation, ...previous]);
  };

  return (
    <section aria-labelledby="vm-title">
      <h1 id="vm-title">
        {vm.name} <StatusBadge status={vm.status} />
      </h1>
      <dl className="facts">
        <dt>Provider</dt>
        <dd>{vm.provider}</dd>
        <dt>Region</dt>
        <dd>{vm.region}</dd>
        <dt>Type</dt>
        <dd>{vm.instanceType}</dd>
        <dt>Image</dt>
        <dd>{vm.image}</dd>
        <dt>Private IP</dt>
        <dd>{vm.privateIp ?? '—'}</dd>
        <dt>Public IP</dt>
        <dd>{vm.publicIp ?? '—'}</dd>
        <dt>Labels</dt>
        <dd>{Object.entries(vm.labels).map(([key, value]) => `${key}=${value}`).join(', ') || '—'}</dd>
        <dt>Version</dt>
        <dd>{vm.version}</dd>
      </dl>
      <div className="toolbar" role="toolbar" aria-label="VM actions">
        <button type="button" onClick={() => void run('start')}>Start</button>
        <button type="button" onClick={() => setConfirm('stop')}>Stop</button>
        <button type="button" onClick={() => setConfirm('reboot')}>Reboot</button>
        <button type="button" className="danger" onClick={() => setConfirm('delete')}>Delete</button>
        <label htmlFor={resizeId}>New type</label>
        <select id={resizeId} value={newType} onChange={(event) => setNewType(event.target.value)}>
          <option value="">choose…</option>
          {types.map((type) => (
            <option key={type.name} value={type.name}>
              {type.name} ({type.vcpus} vCPU, {type.memoryGib} GiB)
            </option>
          ))}
        </select>
        <button type="button" disabled={!newType || newType === vm.instanceType} onClick={() => void run('resize')}>
          Resize
        </button>
      </div>
      <ErrorMessage error={actionError} />
      <VmCost id={id} version={vm.version} />
      <VmMetricsChart id={id} />
      <PlacementDecision id={id} />
      <h2>Operations</h2>
      {operations.length === 0 ? <p>No operations yet.</p> : null}
      {operations.map((operation) => (
        <OperationProgress key={operation.id} operation={operation} />
      ))}
      <ConfirmDialog
        open={confirm !== null}
        title={`${confirm ?? ''} ${vm.name}?`}
        confirmLabel={confirm === 'delete' ? 'Delete' : confirm === 'stop' ? 'Stop' : 'Reboot'}
        danger={confirm === 'delete'}
        onCancel={() => setConfirm(null)}
        onConfirm={() => confirm && void run(confirm)}
      >
        <p>{confirm === 'delete' ? 'The VM and its disk are deleted at the provider.' : 'Running work on the VM is interrupted.'}</p>
      </ConfirmDialog>
    </section>
  );
}
