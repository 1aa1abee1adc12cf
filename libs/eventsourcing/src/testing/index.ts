export { describeEventStoreContract, noted, type EventStoreHarness } from './event-store.contract';
export { scenario } from './given-when-then';
export { contractTestSchemas } from './test-schemas';
