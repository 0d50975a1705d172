import { CreateBudgetDocument, DeleteBudgetDocument, UpdateBudgetDocument, type BudgetAction, type BudgetFieldsFragment, type ThresholdBasis } from '@novacron/sdk';
import { useId, useState, type FormEvent } from 'react';
import { useMutation } from 'urql';
import { ErrorMessage, fieldErrorsOf } from './ErrorMessage.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { parseBudgetForm, type BudgetFormValues } from '../graphql/budgetForm.ts';
import type { FieldErrors } from '../graphql/validation.ts';

const emptyForm: BudgetFormValues = { name: '', amount: '', action: 'ALERT', providers: '', regions: '', labels: '', thresholds: '50, 80, 100', basis: 'ACTUAL' };

/** The form's values for an existing budget (editing starts from what is stored). */
export function budgetFormValues(budget: BudgetFieldsFragment): BudgetFormValues {
  return {
    name: budget.name,
    // Money comes with six decimals ("250.000000"); people type "250".
    amount: budget.amount.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''),
    action: budget.action,
    providers: (budget.scope.providers ?? []).join(', '),
    regions: (budget.scope.regions ?? []).join(', '),
    labels: (budget.scope.labels ?? []).map((label) => `${label.key}=${label.value}`).join(', '),
    thresholds: budget.thresholds.map((threshold) => threshold.percent).join(', '),
    basis: budget.thresholds[0]?.basis ?? 'ACTUAL',
  };
}

interface BudgetEditorProps {
  /** The budget to edit; a new budget when absent. */
  budget?: BudgetFieldsFragment;
  onDone(): void;
}

/**
 * Creates or edits a budget: checked here by the API's own rules (budgetForm.ts) so a field is flagged
 * before sending, and the server's coded field errors shown beside their fields when it refuses.
 */
export function BudgetEditor({ budget, onDone }: BudgetEditorProps) {
  const [form, setForm] = useState<BudgetFormValues>(budget ? budgetFormValues(budget) : emptyForm);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [{ fetching: creating }, createBudget] = useMutation(CreateBudgetDocument);
  const [{ fetching: updating }, updateBudget] = useMutation(UpdateBudgetDocument);
  const [{ fetching: deleting }, deleteBudget] = useMutation(DeleteBudgetDocument);
  const prefix = useId();
  const id = (field: string) => `${prefix}-${field}`;
  const set = (key: keyof BudgetFormValues) => (event: { target: { value: string } }) => setForm((previous) => ({ ...previous, [key]: event.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setServerError(null);
    const { input, errors } = parseBudgetForm(form);
    setFieldErrors(errors);
    if (!input) return;
    const result = budget ? await updateBudget({ id: budget.id, input }) : await createBudget({ input });
    if (result.error) {
      setServerError(result.error);
      setFieldErrors(fieldErrorsOf(result.error));
      return;
    }
    onDone();
  };

  const remove = async () => {
    setConfirmDelete(false);
    if (!budget) return;
    const result = await deleteBudget({ id: budget.id });
    if (result.error) setServerError(result.error);
    else onDone();
  };

  const described = (field: string) => (fieldErrors[field] ? { 'aria-invalid': true, 'aria-describedby': `${id(field)}-error` } : {});
  const fieldError = (field: string) =>
    fieldErrors[field] ? (
      <span id={`${id(field)}-error`} className="field-error">
        {fieldErrors[field]}
      </span>
    ) : null;

  return (
    <form className="create budget-editor" onSubmit={(event) => void submit(event)} noValidate aria-label={budget ? `Edit budget ${budget.name}` : 'New budget'}>
      <label htmlFor={id('name')}>Budget name</label>
      <input id={id('name')} value={form.name} onChange={set('name')} autoComplete="off" {...described('input.name')} />
      {fieldError('input.name')}
      <label htmlFor={id('amount')}>Amount (USD per month)</label>
      <input id={id('amount')} value={form.amount} onChange={set('amount')} inputMode="decimal" autoComplete="off" {...described('input.amount')} />
      {fieldError('input.amount')}
      <label htmlFor={id('action')}>When exceeded</label>
      <select id={id('action')} value={form.action} onChange={set('action')}>
        <option value={'ALERT' satisfies BudgetAction}>Alert only</option>
        <option value={'BLOCK_CREATE' satisfies BudgetAction}>Alert and block creates that would overspend</option>
      </select>
      <label htmlFor={id('providers')}>Providers (comma-separated)</label>
      <input id={id('providers')} value={form.providers} onChange={set('providers')} placeholder="aws, gcp" {...described('input.scope.providers')} />
      {fieldError('input.scope.providers')}
      <label htmlFor={id('regions')}>Regions (comma-separated)</label>
      <input id={id('regions')} value={form.regions} onChange={set('regions')} placeholder="us-east-1" {...described('input.scope.regions')} />
      {fieldError('input.scope.regions')}
      <label htmlFor={id('labels')}>Labels (key=value, comma-separated)</label>
      <input id={id('labels')} value={form.labels} onChange={set('labels')} placeholder="team=payments" {...described('input.scope.labels')} />
      {fieldError('input.scope.labels')}
      {fieldError('input.scope')}
      <label htmlFor={id('thresholds')}>Alert at (% of the amount, comma-separated)</label>
      <input id={id('thresholds')} value={form.thresholds} onChange={set('thresholds')} {...described('input.thresholds')} />
      {fieldError('input.thresholds')}
      <label htmlFor={id('basis')}>Thresholds compare</label>
      <select id={id('basis')} value={form.basis} onChange={set('basis')}>
        <option value={'ACTUAL' satisfies ThresholdBasis}>Actual spend</option>
        <option value={'FORECAST' satisfies ThresholdBasis}>Forecast spend</option>
      </select>
      <div className="actions">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        {budget ? (
          <button type="button" className="danger" onClick={() => setConfirmDelete(true)} disabled={deleting}>
            Delete
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={creating || updating}>
          {budget ? 'Save budget' : 'Create budget'}
        </button>
      </div>
      <ErrorMessage error={serverError} />
      <ConfirmDialog open={confirmDelete} title={`Delete budget ${budget?.name ?? ''}?`} confirmLabel="Delete budget" danger onConfirm={() => void remove()} onCancel={() => setConfirmDelete(false)}>
        Its alerts stop, and creates it blocked are allowed again.
      </ConfirmDialog>
    </form>
  );
}
