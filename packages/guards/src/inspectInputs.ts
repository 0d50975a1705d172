// Hand-rolled: no maintained library bounds variable size or refuses NUL characters (graphql-armor covers neither).
import { visit, type DocumentNode } from 'graphql';
import { AppError } from '@novacron/errors';

/** Options for {@link inspectInputs}. */
export interface InspectInputsOptions {
  /** Most values (object entries and list items, at any depth) the variables may hold. */
  maxVariableNodes: number;
  /** Put the limit in the message; development only. */
  revealThresholds: boolean;
}

/**
 * Checks what a request carries besides its shape, before any resolver runs: variables bounded in
 * size (a 40,000-element filter took seconds to run), and no NUL character (U+0000) in any string
 * or key, which PostgreSQL cannot store and would otherwise fail deep inside a transaction.
 */
export function inspectInputs(document: DocumentNode, variables: Readonly<Record<string, unknown>> | null | undefined, options: InspectInputsOptions): AppError | null {
  let nodes = 0;
  let nulAt: string | null = null;
  const walk = (value: unknown, path: string): void => {
    if (nulAt !== null || nodes > options.maxVariableNodes) return;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) nulAt = path;
      return;
    }
    if (Array.isArray(value)) {
      nodes += value.length;
      value.forEach((item, index) => walk(item, `${path}.${index}`));
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        nodes += 1;
        if (key.includes('\u0000')) nulAt = path;
        walk(item, path ? `${path}.${key}` : key);
      }
    }
  };
  walk(variables ?? {}, '');
  if (nodes > options.maxVariableNodes) {
    return new AppError('QUERY_TOO_COMPLEX', options.revealThresholds ? `the variables hold more than ${options.maxVariableNodes} values` : 'the variables are too large', {
      limit: 'variables',
    });
  }
  if (nulAt === null) {
    visit(document, {
      StringValue(node) {
        if (node.value.includes('\u0000')) nulAt = 'query';
      },
    });
  }
  if (nulAt !== null) return new AppError('BAD_USER_INPUT', 'strings may not contain NUL (U+0000) characters', { field: nulAt });
  return null;
}
