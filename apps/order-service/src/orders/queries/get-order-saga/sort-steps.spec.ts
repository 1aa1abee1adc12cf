import { sortSteps } from './get-order-saga.handler';
import type { SagaStepView } from './order-saga.view';

describe('sortSteps', () => {
  const step = (eventId: string, timestamp: string, causationId = 'x'): SagaStepView => ({ eventId, eventType: eventId, service: 's', timestamp, correlationId: 'c', causationId });

  it('orders by time, oldest first', () => {
    const steps = [step('c', '2026-11-28T12:00:02.000Z'), step('a', '2026-11-28T12:00:00.000Z'), step('b', '2026-11-28T12:00:01.000Z')];
    expect(sortSteps(steps).map((s) => s.eventId)).toEqual(['a', 'b', 'c']);
  });

  it('on a tie puts a cause before its effect, and otherwise keeps the given order', () => {
    const t = '2026-11-28T12:00:00.000Z';
    expect(sortSteps([step('effect', t, 'cause'), step('cause', t)]).map((s) => s.eventId)).toEqual(['cause', 'effect']);
    expect(sortSteps([step('first', t), step('second', t)]).map((s) => s.eventId)).toEqual(['first', 'second']);
  });
});
