import { BudgetAlertsDocument, BudgetsDocument, CostReportDocument, type BudgetAlertFieldsFragment, type CostGroupBy } from '@novacron/sdk';
import { useId, useMemo, useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { BudgetEditor } from '../components/BudgetEditor.tsx';
import { ErrorMessage } from '../components/ErrorMessage.tsx';
import { TimeChart } from '../components/TimeChart.tsx';

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 2 });

/** Spend by provider, region or label over the month so far (chart + table), and budgets with live alerts. */
export function CostsPage() {
  const [groupBy, setGroupBy] = useState<CostGroupBy>('PROVIDER');
  const [labelKey, setLabelKey] = useState('team');
  // The budget being edited: `new`, a budget id, or none.
  const [editing, setEditing] = useState<string | null>(null);
  const ids = { groupBy: useId(), label: useId() };
  const range = useMemo(() => {
    const now = new Date();
    const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
    return { from: from.toISOString(), to: to.toISOString() };
  }, []);
  const [{ data, error }] = useQuery({
    query: CostReportDocument,
    variables: { ...range, groupBy: [groupBy], step: 'DAY', ...(groupBy === 'LABEL' ? { labelKey } : {}) },
    requestPolicy: 'cache-and-network',
  });
  const [{ data: budgetData, error: budgetError }, refetchBudgets] = useQuery({ query: BudgetsDocument, requestPolicy: 'cache-and-network' });
  const [{ data: alerts, error: alertError }] = useSubscription({ query: BudgetAlertsDocument, variables: {} }, (previous: BudgetAlertFieldsFragment[] = [], result) => {
    refetchBudgets({ requestPolicy: 'network-only' });
    return [result.budgetAlerts, ...previous].slice(0, 50);
  });

  const closeEditor = () => {
    setEditing(null);
    refetchBudgets({ requestPolicy: 'network-only' });
  };

  const report = data?.costReport;
  const keyOf = (key: { provider: string | null; region: string | null; instanceType: string | null; label: string | null }) => key.provider ?? key.region ?? key.instanceType ?? key.label ?? '(none)';
  const times = useMemo(() => (report?.buckets ?? []).map((bucket) => Date.parse(bucket.start) / 1000), [report]);
  const series = useMemo(() => (report?.groups ?? []).slice(0, 6).map((group) => ({ label: keyOf(group.key), values: group.buckets.map((bucket) => Number(bucket.amount)) })), [report]);

  return (
    <section aria-labelledby="costs-title">
      <h1 id="costs-title">Costs</h1>
      <form className="inline" onSubmit={(event) => event.preventDefault()}>
        <label htmlFor={ids.groupBy}>Group by</label>
        <select id={ids.groupBy} value={groupBy} onChange={(event) => setGroupBy(event.target.value as CostGroupBy)}>
          <option value="PROVIDER">Provider</option>
          <option value="REGION">Region</option>
          <option value="INSTANCE_TYPE">Instance type</option>
          <option value="LABEL">Label</option>
        </select>
        {groupBy === 'LABEL' ? (
          <>
            <label htmlFor={ids.label}>Label key</label>
            <input id={ids.label} value={labelKey} onChange={(event) => setLabelKey(event.target.value)} />
          </>
        ) : null}
      </form>
      <ErrorMessage error={error} />
      {report ? (
        <>
          <p>
            Month to date: <strong data-testid="cost-total">{usd.format(Number(report.total))}</strong>
          </p>
          <TimeChart title="Daily spend by group (USD)" times={times} series={series} />
          <table className="grid">
            <caption>Spend by {groupBy.toLowerCase().replace('_', ' ')}</caption>
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {report.groups.map((group) => (
                <tr key={keyOf(group.key)}>
                  <td>{keyOf(group.key)}</td>
                  <td>{usd.format(Number(group.total))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      <h2>Budgets</h2>
      <ErrorMessage error={budgetError} />
      {editing === 'new' ? (
        <BudgetEditor onDone={closeEditor} />
      ) : (
        <button type="button" onClick={() => setEditing('new')}>
          New budget
        </button>
      )}
      {(budgetData?.budgets ?? []).length === 0 ? <p>No budgets.</p> : null}
      <ul className="budgets">
        {(budgetData?.budgets ?? []).map((budget) => (
          <li key={budget.id} data-testid="budget">
            <strong>{budget.name}</strong> ({budget.period.toLowerCase()}, {budget.action === 'BLOCK_CREATE' ? 'blocks creates' : 'alerts'}): {usd.format(Number(budget.spent))} of {usd.format(Number(budget.amount))}, forecast {usd.format(Number(budget.forecast))}
            <progress max={Number(budget.amount)} value={Math.min(Number(budget.spent), Number(budget.amount))} aria-label={`${budget.name} spent`} />
            {editing === budget.id ? (
              <BudgetEditor budget={budget} onDone={closeEditor} />
            ) : (
              <button type="button" onClick={() => setEditing(budget.id)} aria-label={`Edit budget ${budget.name}`}>
                Edit
              </button>
            )}
          </li>
        ))}
      </ul>
      <h2>Alerts</h2>
      <ErrorMessage error={alertError} />
      <ul aria-live="polite" data-testid="budget-alerts">
        {(alerts ?? []).map((alert) => (
          <li key={alert.id}>
            <code>{alert.kind}</code> {alert.budgetName ?? ''} {alert.thresholdPercent ? `${alert.thresholdPercent}% (${alert.basis?.toLowerCase()})` : ''} — {usd.format(Number(alert.spent ?? 0))} at {new Date(alert.occurredAt).toLocaleString()}
          </li>
        ))}
      </ul>
    </section>
  );
}
