import { CreateVmDocument, ProvidersDocument, type OperationFieldsFragment } from '@novacron/sdk';
import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { ErrorMessage, fieldErrorsOf } from '../components/ErrorMessage.tsx';
import { OperationProgress } from '../components/OperationProgress.tsx';
import { StatusBadge } from '../components/StatusBadge.tsx';
import { SuggestPlacement } from '../components/SuggestPlacement.tsx';
import { newIdempotencyKey } from '../graphql/idempotencyKey.ts';
import { namePattern, parseLabels, type FieldErrors } from '../graphql/validation.ts';

interface Form {
  name: string;
  provider: string;
  region: string;
  instanceType: string;
  image: string;
  labels: string;
}

/** The create form: choices from `providers`, the API's own rules checked before sending, then live progress to RUNNING. */
export function CreatePage() {
  const [{ data, error: providersError }] = useQuery({ query: ProvidersDocument });
  const [{ fetching }, createVm] = useMutation(CreateVmDocument);
  const [form, setForm] = useState<Form>({ name: '', provider: '', region: '', instanceType: '', image: '', labels: '' });
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [serverError, setServerError] = useState<unknown>(null);
  const [operation, setOperation] = useState<OperationFieldsFragment | null>(null);
  // One key per intended create: a retried submit of the same input returns the same operation.
  const idempotency = useRef<{ input: string; key: string } | null>(null);
  const ids = { name: useId(), provider: useId(), region: useId(), type: useId(), image: useId(), labels: useId() };

  const providers = data?.providers ?? [];
  const provider = providers.find((entry) => entry.name === form.provider);
  const region = provider?.regions.find((entry) => entry.name === form.region);
  const types = useMemo(() => region?.instanceTypes ?? [], [region]);

  const set = (key: keyof Form) => (event: { target: { value: string } }) =>
    setForm((previous) => {
      const next = { ...previous, [key]: event.target.value };
      if (key === 'provider') Object.assign(next, { region: '', instanceType: '', image: '' });
      if (key === 'region') next.instanceType = '';
      return next;
    });

  const validate = (): { errors: FieldErrors; labels: Record<string, string> } => {
    const errors: FieldErrors = {};
    if (!namePattern.test(form.name)) errors['input.name'] = '1 to 63 characters: lower-case letters, digits and hyphens, starting with a letter';
    if (!provider) errors['input.provider'] = 'choose a provider';
    else if (!region) errors['input.region'] = 'choose a region of the provider';
    else if (!types.some((type) => type.name === form.instanceType)) errors['input.instanceType'] = 'choose an instance type offered in the region';
    if (provider && !provider.capabilities.images.includes(form.image)) errors['input.image'] = 'choose an image of the provider';
    const { labels, error } = parseLabels(form.labels);
    if (error) errors['input.labels'] = error;
    return { errors, labels };
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setServerError(null);
    const { errors, labels } = validate();
    setFieldErrors(errors);
    if (Object.keys(errors).length > 0) return;
    const input = { name: form.name, provider: form.provider, region: form.region, instanceType: form.instanceType, image: form.image, labels };
    const digest = JSON.stringify(input);
    if (idempotency.current?.input !== digest) idempotency.current = { input: digest, key: newIdempotencyKey('create') };
    const result = await createVm({ input, idempotencyKey: idempotency.current.key });
    if (result.error) {
      setServerError(result.error);
      // Show the server's field errors next to their fields too.
      setFieldErrors(fieldErrorsOf(result.error));
      return;
    }
    if (result.data) setOperation(result.data.createVM);
  };

  const described = (field: string) => (fieldErrors[field] ? { 'aria-invalid': true, 'aria-describedby': `${field}-error` } : {});
  const fieldError = (field: string) =>
    fieldErrors[field] ? (
      <span id={`${field}-error`} className="field-error">
        {fieldErrors[field]}
      </span>
    ) : null;

  return (
    <section aria-labelledby="create-title">
      <h1 id="create-title">Create a VM</h1>
      <ErrorMessage error={providersError} />
      <SuggestPlacement
        onUse={(candidate) =>
          setForm((previous) => ({
            ...previous,
            provider: candidate.provider,
            region: candidate.region,
            instanceType: candidate.instanceType,
            image: previous.provider === candidate.provider ? previous.image : '',
          }))
        }
      />
      <h2>Details</h2>
      <form className="create" onSubmit={(event) => void submit(event)} noValidate>
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} value={form.name} onChange={set('name')} autoComplete="off" required {...described('input.name')} />
        {fieldError('input.name')}
        <label htmlFor={ids.provider}>Provider</label>
        <select id={ids.provider} value={form.provider} onChange={set('provider')} required {...described('input.provider')}>
          <option value="">choose…</option>
          {providers.map((entry) => (
            <option key={entry.name} value={entry.name}>
              {entry.displayName}
              {entry.simulated ? ' (simulated)' : ''}
            </option>
          ))}
        </select>
        {fieldError('input.provider')}
        <label htmlFor={ids.region}>Region</label>
        <select id={ids.region} value={form.region} onChange={set('region')} required {...described('input.region')}>
          <option value="">choose…</option>
          {(provider?.regions ?? []).map((entry) => (
            <option key={entry.name} value={entry.name}>
              {entry.name}
            </option>
          ))}
        </select>
        {fieldError('input.region')}
        <label htmlFor={ids.type}>Instance type</label>
        <select id={ids.type} value={form.instanceType} onChange={set('instanceType')} required {...described('input.instanceType')}>
          <option value="">choose…</option>
          {types.map((type) => (
            <option key={type.name} value={type.name}>
              {type.name} ({type.vcpus} vCPU, {type.memoryGib} GiB{type.gpuCount ? `, ${type.gpuCount}× ${type.gpuName}` : ''})
            </option>
          ))}
        </select>
        {fieldError('input.instanceType')}
        <label htmlFor={ids.image}>Image</label>
        <select id={ids.image} value={form.image} onChange={set('image')} required {...described('input.image')}>
          <option value="">choose…</option>
          {(provider?.capabilities.images ?? []).map((image) => (
            <option key={image} value={image}>
              {image}
            </option>
          ))}
        </select>
        {fieldError('input.image')}
        <label htmlFor={ids.labels}>Labels (key=value, one per line)</label>
        <textarea id={ids.labels} value={form.labels} onChange={set('labels')} rows={3} {...described('input.labels')} />
        {fieldError('input.labels')}
        <div className="actions">
          <button type="submit" className="primary" disabled={fetching}>
            Create
          </button>
        </div>
      </form>
      <ErrorMessage error={serverError} />
      {operation ? (
        <div className="created">
          <h2>Progress</h2>
          <OperationProgress operation={operation} onUpdate={setOperation} />
          {operation.vm ? (
            <p data-testid="created-vm">
              <Link href={`/vms/${operation.vm.id}`}>{operation.vm.name}</Link> is <StatusBadge status={operation.vm.status} />
            </p>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
