import type { EventSchemas } from '../lib/event-store.port';

/**
 * A tiny catalogue for the event store contract suite. `NameChanged` starts at schema v1
 * ({ name }) and `deployV2()` simulates shipping v2 ({ given, family }) with an upcaster, so the
 * suite can store a v1 event and read it back as v2 on any adapter.
 */
export function contractTestSchemas(): { schemas: EventSchemas; deployV2(): void } {
  let nameChangedVersion = 1;
  const schemas: EventSchemas = {
    validate(eventType, schemaVersion, data) {
      if (schemaVersion !== schemas.currentVersion(eventType)) throw new Error(`${eventType}: writers must use v${schemas.currentVersion(eventType)}`);
      if (eventType === 'Noted' && typeof data['text'] !== 'string') throw new Error('Invalid Noted v1 payload: text: expected string');
    },
    upcast(eventType, schemaVersion, data) {
      if (eventType === 'NameChanged' && schemaVersion === 1 && nameChangedVersion === 2) {
        const [given, ...family] = String(data['name']).split(' ');
        return { schemaVersion: 2, data: { given, family: family.join(' ') } };
      }
      return { schemaVersion, data };
    },
    currentVersion: (eventType) => (eventType === 'NameChanged' ? nameChangedVersion : 1),
    topic: () => 'contract_test_events',
  };
  return { schemas, deployV2: () => void (nameChangedVersion = 2) };
}
