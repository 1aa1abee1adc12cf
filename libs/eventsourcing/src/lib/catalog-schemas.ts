import { eventDefinition, topicOf, upcastEventData, validateEventData } from '@causeway/contracts';
import type { EventSchemas } from './event-store.port';

/** The contracts catalogue as the event store's schema checker and upcaster. */
export const catalogSchemas: EventSchemas = {
  validate: (eventType, schemaVersion, data) => void validateEventData(eventType, schemaVersion, data),
  upcast: upcastEventData,
  currentVersion: (eventType) => eventDefinition(eventType).schemaVersion,
  topic: topicOf,
};
