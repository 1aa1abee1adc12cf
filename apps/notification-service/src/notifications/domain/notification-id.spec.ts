import { z } from 'zod';
import { notificationIdFor } from './notification-id';

describe('notification ids (UUID v5 of the cause event id)', () => {
  it('is stable per cause event, distinct across events, case-insensitive, and a valid UUID for the contracts', () => {
    const cause = '7a1f2c3e-1111-4c36-9f5b-0a9c7a4f5d11';
    const id = notificationIdFor(cause);
    expect(notificationIdFor(cause)).toBe(id);
    expect(notificationIdFor(cause.toUpperCase())).toBe(id);
    expect(notificationIdFor('7a1f2c3e-1111-4c36-9f5b-0a9c7a4f5d12')).not.toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });
});
