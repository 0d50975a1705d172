import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { httpStatusFor } from '@novacron/errors';

/** Options of {@link useOverloadedStatus}. */
export interface OverloadedStatusOptions {
  /** `Retry-After` when the refusing subgraph gave no `retryAfterSeconds`. */
  retryAfterSeconds: number;
  /** Called for every response turned into a 503 (the refusal counter, reason SUBGRAPH). */
  onRelayed?: () => void;
}

/**
 * A subgraph that refuses with OVERLOADED (the vms subgraph's mutation admission) answers HTTP 200
 * with the error, so the client used to get 200 for a refusal. When a response carries an
 * OVERLOADED error and no data at all (every root field null: nothing was done for the client),
 * it becomes HTTP 503 with `Retry-After`, as the gateway's own refusals. A partial result keeps 200:
 * its data is still an answer.
 */
export function useOverloadedStatus<TContext extends BaseContext>(options: OverloadedStatusOptions): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { errors, data } = response.body.singleResult;
          const overloaded = errors?.filter((error) => error.extensions?.code === 'OVERLOADED') ?? [];
          if (overloaded.length === 0) return;
          if (data && Object.values(data).some((value) => value !== null)) return;
          const retryAfter = Math.max(
            0,
            ...overloaded.map((error) => {
              const seconds = error.extensions?.retryAfterSeconds;
              return typeof seconds === 'number' && Number.isFinite(seconds) ? Math.ceil(seconds) : options.retryAfterSeconds;
            }),
          );
          response.http.status = httpStatusFor('OVERLOADED');
          response.http.headers.set('retry-after', String(retryAfter));
          options.onRelayed?.();
        },
      };
    },
  };
}
