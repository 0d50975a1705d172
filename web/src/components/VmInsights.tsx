import { VmCostDocument, VmMetricsDocument, VmMetricsLiveDocument, VmRightsizingDocument } from '@novacron/sdk';
import { useEffect, useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { ErrorMessage } from './ErrorMessage.tsx';
import { TimeChart } from './TimeChart.tsx';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 4 });

/** The VM's cost (re-read whenever the VM changes: a stop drops it to disk-only) and its rightsizing advice. */
export function VmCost({ id, version }: { id: string; version: number }) {
  const [{ data, error }, refetch] = useQuery({ query: VmCostDocument, variables: { id }, requestPolicy: 'network-only' });
  const [{ data: sizing }] = useQuery({ query: VmRightsizingDocument, variables: { id } });
  useEffect(() => {
    refetch({ requestPolicy: 'network-only' });
  }, [version, refetch]);
  const cost = data?.vm?.cost;
  // Billing follows the vms event stream, a moment behind the event this page saw: until its cost is of
  // this VM version (a stop not yet applied still shows the running rate), read it again shortly.
  const behind = cost !== undefined && cost.vmVersion < version;
  useEffect(() => {
    if (!behind) return;
    const timer = setTimeout(() => refetch({ requestPolicy: 'network-only' }), 500);
    return () => clearTimeout(timer);
  }, [behind, data, refetch]);
  const advice = sizing?.vm?.rightsizing;
  return (
    <section aria-labelledby="cost-title">
      <h2 id="cost-title">Cost</h2>
      <ErrorMessage error={error} />
      {cost ? (
        <dl className="facts" data-testid="vm-cost">
          <dt>Hourly rate</dt>
          <dd data-testid="hourly-rate">{usd.format(Number(cost.hourlyRate))}</dd>
          <dt>Compute per hour</dt>
          <dd>{usd.format(Number(cost.computeHourly))}</dd>
          <dt>Disk per month</dt>
          <dd>{usd.format(Number(cost.diskMonthly))}</dd>
          <dt>Month to date</dt>
          <dd>{usd.format(Number(cost.accruedMonthToDate))}</dd>
          <dt>Projected month</dt>
          <dd>{usd.format(Number(cost.projectedMonth))}</dd>
        </dl>
      ) : null}
      <h3>Rightsizing</h3>
      {advice ? (
        <p data-testid="rightsizing">
          <code>{advice.status}</code>
          {advice.recommendedInstanceType ? ` → ${advice.recommendedInstanceType}` : ''}
          {advice.monthlySavings ? `, saves ${usd.format(Number(advice.monthlySavings))} a month` : ''}. {advice.evidence?.reason}
        </p>
      ) : (
        <p>No advice yet.</p>
      )}
    </section>
  );
}

/** CPU over the last hour (`VM.metrics`, one-minute steps) with live samples from `vmMetrics` appended. */
export function VmMetricsChart({ id }: { id: string }) {
  const range = useMemo(() => {
    const to = new Date();
    return { from: new Date(to.getTime() - 3_600_000).toISOString(), to: to.toISOString() };
  }, []);
  const [{ data, error }] = useQuery({ query: VmMetricsDocument, variables: { id, kind: 'CPU_PERCENT', from: range.from, to: range.to, step: 60, aggregate: 'AVG' } });
  const [live, setLive] = useState<{ t: number; value: number }[]>([]);
  const [{ error: liveError }] = useSubscription({ query: VmMetricsLiveDocument, variables: { vmId: id, kinds: ['CPU_PERCENT'] } }, (_previous: unknown, result) => {
    const sample = result.vmMetrics;
    setLive((previous) => [...previous.slice(-600), { t: Date.parse(sample.t) / 1000, value: sample.value }]);
    return result;
  });
  const points = useMemo(() => {
    const history = (data?.vm?.metrics.points ?? []).map((point) => ({ t: Date.parse(point.t) / 1000, value: point.value }));
    const last = history.at(-1)?.t ?? 0;
    return [...history, ...live.filter((point) => point.t > last)];
  }, [data, live]);
  const times = useMemo(() => points.map((point) => point.t), [points]);
  const series = useMemo(() => [{ label: 'CPU %', values: points.map((point) => point.value) }], [points]);
  return (
    <section aria-labelledby="metrics-title">
      <h2 id="metrics-title">Metrics</h2>
      <ErrorMessage error={error ?? liveError} />
      <TimeChart title="CPU % (last hour, live)" times={times} series={series} />
    </section>
  );
}
