// Hand-rolled: graphql-armor's max-aliases only throws message-text errors; this count feeds our structured QUERY_TOO_COMPLEX (README).
import { visit, type DocumentNode } from 'graphql';

/**
 * Counts aliased fields in the whole document, as written: a fragment spread twice yields the same
 * response keys, so only aliases written out can make a field run again with other arguments.
 */
export function countAliases(document: DocumentNode): number {
  let count = 0;
  visit(document, {
    Field(field) {
      if (field.alias) count += 1;
    },
  });
  return count;
}
