// Hand-rolled: no maintained library bounds variable size or refuses NUL characters (graphql-armor covers neither).
import { visit, type DocumentNode } from 'graphql';
import { AppError } from '@novacron/errors';

/** One step of the path to a variable value: its key under its parent. */
interface Step {
  key: string;
  parent: Step | null;
}

/** Options for {@link inspectInputs}. */
export interface InspectInputsOptions {
  /** Most values (object entries and list items, at any depth) the variables may hold. */
  maxVariableNodes: number;
  /** Put the limit in the message; development only. */
  revealThresholds: boolean;
}

// Whether a document's own strings hold a NUL: the same parsed document comes back for every request
// with that query (Apollo's document cache), and walking it each time was about 3 % of a subgraph's CPU
// per createVM (docs/benchmarks.md, "Accept path").
const documentsWithNul = new WeakMap<DocumentNode, boolean>();

function documentHasNul(document: DocumentNode): boolean {
  let known = documentsWithNul.get(document);
  if (known === undefined) {
    known = false;
    visit(document, {
      StringValue(node) {
        if (node.value.includes('\u0000')) known = true;
      },
    });
    documentsWithNul.set(document, known);
  }
  return known;
}

/**
 * Checks what a request carries besides its shape, before any resolver runs: variables bounded in
 * size (a 40,000-element filter took seconds to run), and no NUL character (U+0000) in any string
 * or key, which PostgreSQL cannot store and would otherwise fail deep inside a transaction.
 */
export function inspectInputs(document: DocumentNode, variables: Readonly<Record<string, unknown>> | null | undefined, options: InspectInputsOptions): AppError | null {
  let nodes = 0;
  let nulAt: string | null = null;
  // The path of a value is built only for the one that holds a NUL (`parent` links, not a string per value).
  const pathOf = (at: Step | null): string => {
    const keys: string[] = [];
    for (let step = at; step; step = step.parent) keys.push(step.key);
    return keys.reverse().join('.');
  };
  const walk = (value: unknown, at: Step | null): void => {
    if (nulAt !== null || nodes > options.maxVariableNodes) return;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) nulAt = pathOf(at);
      return;
    }
    if (Array.isArray(value)) {
      nodes += value.length;
      for (let index = 0; index < value.length; index += 1) walk(value[index], { key: String(index), parent: at });
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        nodes += 1;
        if (key.includes('\u0000')) nulAt = pathOf(at);
        walk((value as Record<string, unknown>)[key], { key, parent: at });
      }
    }
  };
  walk(variables ?? {}, null);
  if (nodes > options.maxVariableNodes) {
    return new AppError('QUERY_TOO_COMPLEX', options.revealThresholds ? `the variables hold more than ${options.maxVariableNodes} values` : 'the variables are too large', {
      limit: 'variables',
    });
  }
  if (nulAt === null && documentHasNul(document)) nulAt = 'query';
  if (nulAt !== null) return new AppError('BAD_USER_INPUT', 'strings may not contain NUL (U+0000) characters', { field: nulAt });
  return null;
}
