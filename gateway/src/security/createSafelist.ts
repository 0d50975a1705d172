import { createHash } from 'node:crypto';
import { Kind, print, type DocumentNode } from 'graphql';
import * as sdk from '@novacron/sdk';

/** The operations the SDK ships, by the sha256 of their printed document. */
export interface Safelist {
  has(document: DocumentNode): boolean;
  readonly size: number;
}

/** The canonical hash of a document: whitespace, comments and formatting do not matter. */
export function documentHash(document: DocumentNode): string {
  return createHash('sha256').update(print(document)).digest('hex');
}

/** Builds the safelist from every operation document the SDK exports. */
export function createSafelist(): Safelist {
  const hashes = new Set<string>();
  for (const value of Object.values(sdk)) {
    if (isDocument(value) && value.definitions.some((definition) => definition.kind === Kind.OPERATION_DEFINITION)) hashes.add(documentHash(value));
  }
  return { has: (document) => hashes.has(documentHash(document)), size: hashes.size };
}

function isDocument(value: unknown): value is DocumentNode {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === Kind.DOCUMENT;
}
