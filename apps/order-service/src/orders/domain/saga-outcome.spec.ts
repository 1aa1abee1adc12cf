import { sagaOutcome } from './saga-outcome';

describe('sagaOutcome', () => {
  it.each([
    ['none', undefined, undefined],
    ['PENDING', undefined, undefined],
    ['CONFIRMED', undefined, { status: 'confirmed' }],
    ['SHIPPED', undefined, { status: 'confirmed' }],
    ['DELIVERED', undefined, { status: 'confirmed' }],
    ['CANCELLED', 'payment_failed', { status: 'cancelled', reason: 'payment_failed' }],
    ['CANCELLED', 'payment_timeout', { status: 'cancelled', reason: 'payment_timeout' }],
    ['CANCELLED', 'user_deleted', { status: 'cancelled', reason: 'user_deleted' }],
  ] as const)('%s (%s) → %j', (status, cancelReason, outcome) => {
    expect(sagaOutcome({ status, cancelReason })).toEqual(outcome);
  });
});
