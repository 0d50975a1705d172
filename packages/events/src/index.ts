export { compareEventPositions, decodeEventCursor, encodeEventCursor } from './eventCursor.ts';
export type { EventPosition } from './eventCursor.ts';
export { eventSignalTopics, isEventStreamName, postgresEventChannel, redisEventTopic } from './eventSignals.ts';
export type { EventSignalTopics, EventStreamName } from './eventSignals.ts';
export { createEventSignalSource } from './createEventSignalSource.ts';
export type { EventSignalSource, EventSignalSourceOptions } from './createEventSignalSource.ts';
export { startEventRelay } from './startEventRelay.ts';
export type { EventRelay, EventRelayOptions } from './startEventRelay.ts';
export type { EventFeedEntry } from './EventFeedEntry.ts';
