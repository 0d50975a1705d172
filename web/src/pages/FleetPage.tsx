import { DeleteVmDocument, StartVmDocument, StopVmDocument, type VmFieldsFragment } from '@novacron/sdk';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useId, useMemo, useRef, useState } from 'react';
import { Link } from 'wouter';
import { ConfirmDialog } from '../components/ConfirmDialog.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { newIdempotencyKey } from '../graphql/idempotencyKey.ts';
import { useTransport } from '../graphql/TransportContext.ts';
import { useFleet } from '../graphql/useFleet.ts';
import { parseLabelSelectors } from '../graphql/validation.ts';

type BulkAction = 'start' | 'stop' | 'delete';
const bulkDocuments = { start: StartVmDocument, stop: StopVmDocument, delete: DeleteVmDocument } as const;
const statuses = ['PENDING', 'PROVISIONING', 'STARTING', 'RUNNING', 'STOPPING', 'STOPPED', 'REBOOTING', 'RESIZING', 'DELETING', 'ERROR'];
const rowHeight = 36;

interface Filters {
  provider: string;
  region: string;
  status: string;
  labels: string;
  name: string;
}

function matches(vm: VmFieldsFragment, filters: Filters, selectors: { key: string; value?: string }[]): boolean {
  if (filters.provider && vm.provider !== filters.provider) return false;
  if (filters.region && vm.region !== filters.region) return false;
  if (filters.status && vm.status !== filters.status) return false;
  if (filters.name && !vm.name.includes(filters.name.toLowerCase())) return false;
  for (const { key, value } of selectors) {
    if (!(key in vm.labels)) return false;
    if (value !== undefined && vm.labels[key] !== value) return false;
  }
  return true;
}

/** Every VM of the tenant in a virtualized table, filtered in the page and kept live by `vmEvents`. */
export function FleetPage() {
  const { client } = useTransport();
  const fleet = useFleet();
  const [filters, setFilters] = useState<Filters>({ provider: '', region: '', status: '', labels: '', name: '' });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pendingAction, setPendingAction] = useState<BulkAction | null>(null);
  const [bulkResult, setBulkResult] = useState<{ done: number; errors: unknown[] } | null>(null);
  const ids = { provider: useId(), region: useId(), status: useId(), labels: useId(), name: useId() };

  const all = useMemo(() => [...fleet.vms.values()], [fleet.vms]);
  const providers = useMemo(() => [...new Set(all.map((vm) => vm.provider))].sort(), [all]);
  const regions = useMemo(() => [...new Set(all.filter((vm) => !filters.provider || vm.provider === filters.provider).map((vm) => vm.region))].sort(), [all, filters.provider]);
  const rows = useMemo(() => {
    const selectors = parseLabelSelectors(filters.labels);
    return all.filter((vm) => matches(vm, filters, selectors));
  }, [all, filters]);

  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => rowHeight, overscan: 12 });
  const selectedVisible = rows.filter((vm) => selected.has(vm.id));

  const toggle = (id: string) =>
    setSelected((previous) => {
      const next = new Set(previous);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const allSelected = rows.length > 0 && selectedVisible.length === rows.length;
  const toggleAll = () => setSelected(allSelected ? new Set() : new Set(rows.map((vm) => vm.id)));

  const runBulk = async (action: BulkAction) => {
    setPendingAction(null);
    const targets = selectedVisible.map((vm) => vm.id);
    const errors: unknown[] = [];
    let done = 0;
    // A few at a time: each is one operation the workers queue; the table follows their events.
    const queue = [...targets];
    await Promise.all(
      Array.from({ length: Math.min(8, queue.length) }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          const result = await client.mutation(bulkDocuments[action], { id, idempotencyKey: newIdempotencyKey(`${action}-${id}`) }).toPromise();
          if (result.error) errors.push(result.error);
          else done += 1;
        }
      }),
    );
    setBulkResult({ done, errors });
    setSelected(new Set());
  };

  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setFilters((previous) => ({ ...previous, [key]: event.target.value }));

  return (
    <section aria-labelledby="fleet-title" data-events-applied={fleet.eventsApplied} data-loading={fleet.loading} data-live-status={fleet.liveStatus} data-resumes={fleet.resumes} data-reloads={fleet.reloads}>
      <h1 id="fleet-title">Fleet</h1>
      <form className="filters" role="search" aria-label="Filter VMs" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} value={filters.name} onChange={set('name')} placeholder="contains…" />
        <label htmlFor={ids.provider}>Provider</label>
        <select id={ids.provider} value={filters.provider} onChange={set('provider')}>
          <option value="">All</option>
          {providers.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <label htmlFor={ids.region}>Region</label>
        <select id={ids.region} value={filters.region} onChange={set('region')}>
          <option value="">All</option>
          {regions.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <label htmlFor={ids.status}>Status</label>
        <select id={ids.status} value={filters.status} onChange={set('status')}>
          <option value="">All</option>
          {statuses.map((name) => (
            <option key={name}>{name}</option>
          ))}
        </select>
        <label htmlFor={ids.labels}>Labels</label>
        <input id={ids.labels} value={filters.labels} onChange={set('labels')} placeholder="team=web, env" />
      </form>
      <div className="toolbar" role="toolbar" aria-label="Bulk actions">
        <span aria-live="polite" data-testid="fleet-count">
          {rows.length} of {fleet.vms.size} VMs{fleet.loading ? ' (loading…)' : ''} · {selectedVisible.length} selected
        </span>
        <span aria-live="polite" data-testid="fleet-live">
          {fleet.liveStatus === 'live' ? 'Live' : fleet.liveStatus === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'} · {fleet.eventsApplied} events
          {fleet.resumes > 0 ? ` · resumed ${fleet.resumes}× after the last event` : ''}
          {fleet.reloads > 0 ? ` · reloaded ${fleet.reloads}× after falling too far behind` : ''}
        </span>
        <button type="button" disabled={selectedVisible.length === 0} onClick={() => setPendingAction('start')}>
          Start
        </button>
        <button type="button" disabled={selectedVisible.length === 0} onClick={() => setPendingAction('stop')}>
          Stop
        </button>
        <button type="button" className="danger" disabled={selectedVisible.length === 0} onClick={() => setPendingAction('delete')}>
          Delete
        </button>
      </div>
      {bulkResult ? (
        <div role="status">
          {bulkResult.done} operation(s) queued{bulkResult.errors.length > 0 ? `, ${bulkResult.errors.length} refused:` : '.'}
          {bulkResult.errors.map((error, index) => (
            <ErrorMessage key={index} error={error} />
          ))}
        </div>
      ) : null}
      <ErrorMessage error={fleet.error} />
      <div className="table" role="table" aria-label="VMs" aria-rowcount={rows.length + 1}>
        <div role="rowgroup">
          <div className="row head" role="row" aria-rowindex={1}>
            <span role="columnheader" className="check">
              <input type="checkbox" aria-label="Select all shown VMs" checked={allSelected} onChange={toggleAll} />
            </span>
            <span role="columnheader">Name</span>
            <span role="columnheader">Status</span>
            <span role="columnheader">Provider</span>
            <span role="columnheader">Region</span>
            <span role="columnheader">Type</span>
            <span role="columnheader">Labels</span>
          </div>
        </div>
        <div ref={scroller} className="scroller" role="rowgroup" data-testid="fleet-scroller">
          <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const vm = rows[item.index];
              if (!vm) return null;
              return (
                <div key={vm.id} className="row" role="row" aria-rowindex={item.index + 2} data-vm-id={vm.id} style={{ position: 'absolute', top: 0, transform: `translateY(${item.start}px)`, height: rowHeight }}>
                  <span role="cell" className="check">
                    <input type="checkbox" aria-label={`Select ${vm.name}`} checked={selected.has(vm.id)} onChange={() => toggle(vm.id)} />
                  </span>
                  <span role="cell">
                    <Link href={`/vms/${vm.id}`}>{vm.name}</Link>
                  </span>
                  <span role="cell">
                    <StatusBadge status={vm.status} />
                  </span>
                  <span role="cell">{vm.provider}</span>
                  <span role="cell">{vm.region}</span>
                  <span role="cell">{vm.instanceType}</span>
                  <span role="cell" className="labels">
                    {Object.entries(vm.labels)
                      .map(([key, value]) => (value ? `${key}=${value}` : key))
                      .join(', ')}
                  </span>
                </div>
              );
            })}
          </div>
        </div>
      </div>
      <ConfirmDialog
        open={pendingAction !== null}
        title={`${pendingAction ?? ''} ${selectedVisible.length} VM(s)?`}
        confirmLabel={`${pendingAction === 'delete' ? 'Delete' : pendingAction === 'stop' ? 'Stop' : 'Start'} ${selectedVisible.length}`}
        danger={pendingAction === 'delete'}
        onCancel={() => setPendingAction(null)}
        onConfirm={() => pendingAction && void runBulk(pendingAction)}
      >
        <p>
          This queues one operation per VM: {selectedVisible.slice(0, 5).map((vm) => vm.name).join(', ')}
          {selectedVisible.length > 5 ? ` and ${selectedVisible.length - 5} more` : ''}.
          {pendingAction === 'delete' ? ' Deleted VMs cannot be brought back.' : ''}
        </p>
      </ConfirmDialog>
    </section>
  );
}
