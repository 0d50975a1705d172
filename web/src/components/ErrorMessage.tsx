import type { CombinedError } from 'urql';
import { CodedError } from '../auth/session.ts';

interface ShownError {
  message: string;
  code: string;
  field?: string | undefined;
}

/** Flattens urql, coded and plain errors into what the user sees: message, `extensions.code`, field. */
export function describeErrors(error: unknown): ShownError[] {
  if (!error) return [];
  if (error instanceof CodedError) return [{ message: error.message, code: error.code, field: error.field }];
  const combined = error as Partial<CombinedError>;
  if (combined.graphQLErrors && combined.graphQLErrors.length > 0) {
    return combined.graphQLErrors.map((entry) => ({
      message: entry.message,
      code: typeof entry.extensions?.code === 'string' ? entry.extensions.code : 'INTERNAL_SERVER_ERROR',
      field: typeof entry.extensions?.field === 'string' ? entry.extensions.field : undefined,
    }));
  }
  if (combined.networkError) return [{ message: combined.networkError.message, code: 'NETWORK_ERROR' }];
  return [{ message: error instanceof Error ? error.message : String(error), code: 'INTERNAL_SERVER_ERROR' }];
}

/** The errors that name a field, keyed by it (`CODE: message`), to show beside the form's fields. */
export function fieldErrorsOf(error: unknown): Partial<Record<string, string>> {
  const byField: Partial<Record<string, string>> = {};
  for (const entry of describeErrors(error)) if (entry.field) byField[entry.field] = `${entry.code}: ${entry.message}`;
  return byField;
}

/** An alert listing each error with its code (and the field it names). */
export function ErrorMessage({ error }: { error: unknown }) {
  const errors = describeErrors(error);
  if (errors.length === 0) return null;
  return (
    <div role="alert" className="error">
      {errors.map((entry, index) => (
        <p key={index}>
          <code className="code">{entry.code}</code> {entry.message}
          {entry.field ? <span className="field"> (field: {entry.field})</span> : null}
        </p>
      ))}
    </div>
  );
}
