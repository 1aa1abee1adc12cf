import { topicOf } from '@causeway/contracts';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
import { EventConsumer, type EventConsumerOptions, type EventHandlerFn } from '../consumer/event-consumer';
import { KafkaEventContext } from './kafka-event.context';

export type KafkaEventTransportOptions = Omit<EventConsumerOptions, 'topics'> & {
  /** Where each handled event type is consumed from; the contracts' topic by default. */
  topicOf?: (eventType: string) => string;
};

/**
 * A Nest microservice transport for integration events:
 *
 *   @EventPattern('PaymentProcessed')
 *   async notePaymentProcessed(@Payload() event: CatalogEvent<'PaymentProcessed'>, @Ctx() ctx: KafkaEventContext) { … ctx.transaction … }
 *
 * Why not the stock `Transport.KAFKA` server: it commits offsets independently of the handler's
 * database transaction, has no inbox (a redelivery runs the handler twice), no retry-then-DLQ
 * (a failing message blocks or is lost, depending on settings) and routes by topic, not by
 * event type. This transport keeps Nest's decorators and delegates delivery to EventConsumer,
 * which gives those guarantees. Topics are derived from the event types handled.
 */
export class KafkaEventTransport extends Server implements CustomTransportStrategy {
  private consumer: EventConsumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly pool: Pool,
    private readonly options: KafkaEventTransportOptions,
  ) {
    super();
  }

  listen(callback: (error?: unknown) => void): void {
    const handlers = new Map<string, EventHandlerFn>();
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) continue;
      handlers.set(pattern, async (event, context) => {
        const result = await handler(event, new KafkaEventContext([context]));
        await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
      });
    }
    if (handlers.size === 0) {
      callback(); // an app without @EventPattern handlers consumes nothing
      return;
    }
    const { topicOf: topicFor = topicOf, ...options } = this.options;
    const topics = [...new Set([...handlers.keys()].map((type) => topicFor(type)))];
    this.consumer = new EventConsumer(this.kafka, this.pool, { ...options, topics }, handlers);
    this.consumer.start().then(() => callback(), callback);
  }

  async close(): Promise<void> {
    await this.consumer?.stop();
  }

  on(): void {
    throw new Error('KafkaEventTransport emits no events; use the consumer options hooks');
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }
}
