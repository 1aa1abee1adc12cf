import type { Settings } from '@causeway/config';
import type { Migration } from '@causeway/eventsourcing';

/** What makes one service different from another, to the runtime. */
export interface ServiceDefinition {
  /** e.g. 'user-service': metadata.source of its events, its log and metric label. */
  name: string;
  /** Its PostgreSQL schema: events, outbox, inbox, checkpoints and read models. */
  schema: string;
  /** Its Kafka consumer group (ARCHITECTURE §4), e.g. 'user_service'. */
  consumerGroup: string;
  port(settings: Settings): number;
  /** Its own tables (read models, reservations), applied after the runtime's. */
  migrations?: Migration[];
}
