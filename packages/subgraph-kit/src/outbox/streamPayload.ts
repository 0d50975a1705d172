/**
 * The payload field of an `@eventStream` subscription: `Query.<payload>(…the subscription's arguments,
 * cursor)`. The gateway first calls it with an empty cursor when a client subscribes, which only checks
 * the caller and the arguments (so a bad filter fails at subscribe time), then once per event.
 */
export interface StreamPayloadOptions<TContext, TArgs, TResult> {
  /** Checks the caller (role); throws FORBIDDEN/UNAUTHENTICATED. */
  authorize(context: TContext): void;
  /** Validates and normalizes the subscription's arguments; throws BAD_USER_INPUT naming the field. */
  parseArgs(args: Record<string, unknown>): TArgs;
  /** The payload of the event at `cursor`, or null when it does not concern this subscriber. */
  load(cursor: string, args: TArgs, context: TContext): Promise<TResult | null>;
}

/** Builds a payload field's resolver. */
export function streamPayload<TContext, TArgs, TResult>(options: StreamPayloadOptions<TContext, TArgs, TResult>) {
  return async (_parent: unknown, args: Record<string, unknown> & { cursor: string }, context: TContext): Promise<TResult | null> => {
    options.authorize(context);
    const parsed = options.parseArgs(args);
    if (args.cursor === '') return null;
    return options.load(args.cursor, parsed, context);
  };
}
