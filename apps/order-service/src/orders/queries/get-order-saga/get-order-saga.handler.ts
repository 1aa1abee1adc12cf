import type { EventStore, StoredEvent } from '@causeway/eventsourcing';
import { EVENT_STORE } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { Order } from '../../domain/order.aggregate';
import { sagaOutcome } from '../../domain/saga-outcome';
import { SagaLog } from '../../saga/saga-log';
import { GetOrderSaga } from './get-order-saga.query';
import type { OrderSagaView, SagaStepView } from './order-saga.view';

/**
 * An order's saga from what this service knows: its own events (the event stream, so the answer
 * is current, not the asynchronous read model's) and the payment outcomes it consumed for the
 * order (saga_steps). Not cached: a diagnostic read, and the stream is one indexed query.
 */
@QueryHandler(GetOrderSaga)
export class GetOrderSagaHandler implements IQueryHandler<GetOrderSaga> {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly saga: SagaLog,
  ) {}

  async execute({ orderId }: GetOrderSaga): Promise<OrderSagaView | undefined> {
    const [events, foreign] = await Promise.all([this.store.readStream(orderId), this.saga.stepsOf(orderId)]);
    if (events.length === 0) return undefined;
    const order = new Order(orderId);
    order.replay(events.map((e) => ({ type: e.eventType, data: e.data, version: e.version })));
    const { status, cancelReason } = order.current;
    if (status === 'none') return undefined;
    const outcome = sagaOutcome({ status, cancelReason });
    return { orderId, status, steps: sortSteps([...events.map(ownStep), ...foreign]), ...(outcome ? { outcome } : {}) };
  }
}

function ownStep(event: StoredEvent): SagaStepView {
  const { eventType, version, timestamp, eventId, metadata } = event;
  return { eventType, service: metadata.source, version, timestamp, correlationId: metadata.correlationId, causationId: metadata.causationId, eventId };
}

/**
 * Oldest first. Timestamps come from two services' clocks (and are in milliseconds): on a tie a
 * cause goes before its effect; otherwise the order given (own events by version) is kept.
 */
export function sortSteps(steps: SagaStepView[]): SagaStepView[] {
  return [...steps].sort(
    (a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || (b.causationId === a.eventId ? -1 : a.causationId === b.eventId ? 1 : 0),
  );
}
