export { eventEnvelopeSchema, eventMetadataSchema, type EventEnvelope, type EventMetadata } from './lib/envelope';
export { InvalidEventPayloadError, UnknownEventTypeError, UnsupportedSchemaVersionError } from './lib/errors';
export { defineEvent, type EventDefinition, type PayloadOf, type Upcaster } from './lib/event-definition';
export { CommandAudited } from './lib/events/audit.events';
export { amountCents, currency } from './lib/events/common.schema';
export { NotificationFailed, NotificationSent } from './lib/events/notification.events';
export { OrderCancelled, OrderConfirmed, OrderDelivered, OrderPlaced, OrderShipped, orderCancellationReasons, orderItemSchema } from './lib/events/order.events';
export { PaymentFailed, PaymentInitiated, PaymentProcessed, PaymentRefunded } from './lib/events/payment.events';
export { MessageDeadLettered, ProjectionRebuilt } from './lib/events/system.events';
export { UserCreated, UserDeleted, UserUpdated } from './lib/events/user.events';
export {
  eventCatalog,
  eventDefinition,
  isEventType,
  parseEventEnvelope,
  topicOf,
  upcastEvent,
  upcastEventData,
  validateEventData,
  type CatalogEvent,
  type EventPayload,
  type EventType,
} from './lib/registry';
export { ALL_TOPICS, Topics, deadLetterTopic, type Topic } from './lib/topics';
