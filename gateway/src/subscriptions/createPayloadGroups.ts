import { print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { SubscriberScope } from './readStreamDeclarations.ts';
import { cursorVariable } from './rewriteToPayloadQuery.ts';

/** Runs a payload query through the gateway under a subscriber's identity. */
export type PayloadExecutor = (document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope) => Promise<ExecutionResult>;

/** Subscribers with the same payload document, variables and authorization scope. */
export interface PayloadGroup {
  readonly key: string;
  /** The event's payload for this group, executed once however many members it has; null: not for them. */
  resolve(cursor: string): Promise<ExecutionResult | null>;
}

/** The groups of one engine. */
export interface PayloadGroups {
  join(document: DocumentNode, variables: Record<string, unknown>, scope: SubscriberScope): PayloadGroup;
  leave(group: PayloadGroup): void;
  /** How many groups exist, and how many payload executions ran. */
  stats(): { groups: number; payloadExecutions: number };
}

const resultsPerGroup = 256;

/**
 * Shares one payload execution per event among identical subscriptions (document, variables, tenant
 * and roles): what makes thousands of dashboard subscribers cheap.
 */
export function createPayloadGroups(execute: PayloadExecutor): PayloadGroups {
  const groups = new Map<string, PayloadGroup & { members: number }>();
  let payloadExecutions = 0;
  return {
    join(document, variables, scope) {
      const key = `${scope.scopeKey}\n${JSON.stringify(sortKeys(variables))}\n${print(document)}`;
      let group = groups.get(key);
      if (!group) {
        // The last events' results, so members that read an event at slightly different times share it.
        const results = new Map<string, Promise<ExecutionResult | null>>();
        group = {
          key,
          members: 0,
          resolve(cursor) {
            let result = results.get(cursor);
            if (!result) {
              payloadExecutions += 1;
              result = execute(document, { ...variables, [cursorVariable]: cursor }, scope).then((executed) => {
                const data = executed.data as Record<string, unknown> | null | undefined;
                // An event the subscriber may not see (or whose filter does not match) resolves to null.
                if (!executed.errors?.length && data && Object.values(data).every((value) => value === null)) return null;
                return executed;
              });
              results.set(cursor, result);
              if (results.size > resultsPerGroup) results.delete(results.keys().next().value as string);
            }
            return result;
          },
        };
        groups.set(key, group);
      }
      group.members += 1;
      return group;
    },
    leave(group) {
      const member = groups.get(group.key);
      if (!member) return;
      member.members -= 1;
      if (member.members === 0) groups.delete(group.key);
    },
    stats: () => ({ groups: groups.size, payloadExecutions }),
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([key, entry]) => [key, sortKeys(entry)]),
    );
  }
  return value;
}
