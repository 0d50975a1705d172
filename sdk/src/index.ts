export { createNovaCronClient, NovaCronRequestError } from './createNovaCronClient.ts';
export type { GraphQLResponse, NovaCronClient, NovaCronClientOptions } from './createNovaCronClient.ts';
export { waitForOperation } from './waitForOperation.ts';
export type { WaitForOperationOptions } from './waitForOperation.ts';
export * from './__generated__/graphql.ts';
export { createNovaCronSubscriptions, isResyncRequired } from './createNovaCronSubscriptions.ts';
export type { NovaCronSubscriptions, NovaCronSubscriptionsOptions, SubscriptionSink } from './createNovaCronSubscriptions.ts';
