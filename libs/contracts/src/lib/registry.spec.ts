import { randomUUID } from 'node:crypto';
import { InvalidEventPayloadError, UnknownEventTypeError, UnsupportedSchemaVersionError } from './errors';
import { eventCatalog, parseEventEnvelope, topicOf, upcastEvent, validateEventData } from './registry';
import { ALL_TOPICS } from './topics';

const userId = randomUUID();

function envelope(overrides: Record<string, unknown> = {}) {
  return {
    eventId: randomUUID(),
    eventType: 'UserCreated',
    aggregateType: 'User',
    aggregateId: userId,
    version: 1,
    timestamp: '2026-11-28T10:00:00.000Z',
    schemaVersion: 2,
    data: { userId, email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace' },
    metadata: { correlationId: randomUUID(), causationId: randomUUID(), source: 'user-service' },
    ...overrides,
  };
}

describe('event catalogue', () => {
  it('maps every event type to one of the ARCHITECTURE §4 topics', () => {
    for (const [type, definition] of Object.entries(eventCatalog)) {
      expect(definition.type).toBe(type);
      expect(ALL_TOPICS).toContain(topicOf(type));
    }
    expect(topicOf('OrderPlaced')).toBe('order_events');
    expect(topicOf('PaymentRefunded')).toBe('payment_events');
    expect(topicOf('MessageDeadLettered')).toBe('system_events');
  });

  it('accepts a valid payload and rejects an invalid one with the field and reason', () => {
    expect(validateEventData('PaymentProcessed', 1, { paymentId: userId, orderId: userId, userId, amountCents: 1999, currency: 'EUR', providerReference: 'ch_1' })).toMatchObject({ amountCents: 1999 });
    const invalid = () => validateEventData('PaymentProcessed', 1, { paymentId: userId, orderId: userId, userId, amountCents: 19.99, currency: 'euro', providerReference: 'ch_1' });
    expect(invalid).toThrow(InvalidEventPayloadError);
    expect(invalid).toThrow(/amountCents: .*expected int.*currency: must be an ISO 4217 code/);
  });

  it('refuses to write an old schema version and unknown types', () => {
    expect(() => validateEventData('UserCreated', 1, { userId, email: 'a@b.co', name: 'A B' })).toThrow(/current version 2/);
    expect(() => validateEventData('UserRenamed', 1, {})).toThrow(UnknownEventTypeError);
  });

  it('upcasts UserCreated v1 (one name) to v2 (given and family name)', () => {
    const v1 = envelope({ schemaVersion: 1, data: { userId, email: 'ada@example.com', name: 'Ada King Lovelace' } });
    const v2 = upcastEvent(v1);
    expect(v2.schemaVersion).toBe(2);
    expect(v2.data).toEqual({ userId, email: 'ada@example.com', givenName: 'Ada', familyName: 'King Lovelace' });
    expect(upcastEvent(envelope({ schemaVersion: 1, data: { userId, email: 'c@example.com', name: 'Cher' } })).data).toMatchObject({ givenName: 'Cher', familyName: '' });
    // The original is not rewritten.
    expect(v1.data).toEqual({ userId, email: 'ada@example.com', name: 'Ada King Lovelace' });
  });

  it('decodes a received envelope: upcast, then validated', () => {
    expect(parseEventEnvelope(envelope({ schemaVersion: 1, data: { userId, email: 'ada@example.com', name: 'Ada Lovelace' } })).data).toMatchObject({ givenName: 'Ada' });
    expect(() => parseEventEnvelope({ ...envelope(), eventId: 'not-a-uuid' })).toThrow(/eventId/);
    expect(() => parseEventEnvelope(envelope({ data: { userId, email: 'not-an-email', givenName: 'A', familyName: '' } }))).toThrow(/email/);
    expect(() => parseEventEnvelope(envelope({ schemaVersion: 3 }))).toThrow(UnsupportedSchemaVersionError);
    expect(() => parseEventEnvelope(envelope({ eventType: 'Nope' }))).toThrow(UnknownEventTypeError);
  });
});
