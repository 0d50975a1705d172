import { AppError } from '@novacron/errors';

/** Which limit an operation broke; sent to clients as `extensions.limit`. */
export type OperationLimitName = 'depth' | 'aliases' | 'cost' | 'tokens' | 'directives';

/** What was measured against what was allowed; `measured` is unknown when parsing was aborted. */
export interface LimitBreach {
  limit: OperationLimitName;
  maximum: number;
  measured?: number;
}

// Production messages carry no numbers: the thresholds would tell an attacker exactly how far to go.
const productionMessages: Record<OperationLimitName, string> = {
  depth: 'operation is nested too deeply',
  aliases: 'operation uses too many aliases',
  cost: 'operation would fetch too much; request fewer items or fewer nested lists',
  tokens: 'document is too large',
  directives: 'operation uses too many directives',
};

function revealingMessage({ limit, maximum, measured }: LimitBreach): string {
  switch (limit) {
    case 'depth':
      return `operation depth ${measured} exceeds the limit of ${maximum}`;
    case 'aliases':
      return `document has ${measured} aliases, over the limit of ${maximum}`;
    case 'cost':
      return `operation cost ${measured} exceeds the limit of ${maximum}`;
    case 'tokens':
      return `document has more than the limit of ${maximum} tokens`;
    case 'directives':
      return `operation has ${measured} directives, over the limit of ${maximum}`;
  }
}

/**
 * A QUERY_TOO_COMPLEX error for a breached limit. Numbers appear (in the message and in
 * `extensions.maximum`/`measured`) only when `revealThresholds` is true, i.e. in development.
 */
export function queryTooComplexError(breach: LimitBreach, revealThresholds: boolean): AppError {
  if (!revealThresholds) return new AppError('QUERY_TOO_COMPLEX', productionMessages[breach.limit], { limit: breach.limit });
  const details = breach.measured === undefined ? { limit: breach.limit, maximum: breach.maximum } : { ...breach };
  return new AppError('QUERY_TOO_COMPLEX', revealingMessage(breach), details);
}
