export { applyKafkajsIdleLoopFix } from './lib/kafkajs-idle-loop-fix';
export { DeadLetterHeaders, EventConsumer, type DeadLetterInfo, type EventConsumerOptions, type EventHandlerFn, type HandlerContext } from './lib/consumer/event-consumer';
export { migrateMessaging } from './lib/consumer/inbox.migrations';
export { kafkaConnection, type KafkaConnectionSettings } from './lib/kafka-connection';
export { Headers, headerValue, toKafkaMessage } from './lib/kafka-message';
export { KafkaEventContext } from './lib/nest/kafka-event.context';
export { KafkaEventTransport, type KafkaEventTransportOptions } from './lib/nest/kafka-event.transport';
export { OutboxRelay, type OutboxRelayOptions } from './lib/outbox/outbox-relay';
