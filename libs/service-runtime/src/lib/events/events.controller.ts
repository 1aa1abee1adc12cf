import { BadRequestException, Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import type { ServiceDefinition } from '../service-definition';
import { PG_POOL, SERVICE } from '../tokens';
import { ListEventsDto } from './list-events.dto';

/**
 * Event inspection (ARCHITECTURE §7, GET /events): the service's own stored events by aggregate,
 * correlation id or type, as stored (no upcasting: inspection shows what is on disk). The gateway
 * merges every service's answer and admits administrators only (GET /api/events); this port is
 * internal, as the projections' admin endpoints are.
 */
@ApiTags('events')
@Controller('events')
export class EventsController {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  @Get()
  /** The oldest `limit` matches; `truncated` when there are more (a narrower filter finds them). */
  async list(@Query() query: ListEventsDto): Promise<{ items: object[]; truncated?: true }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.aggregateId) where.push(`aggregate_id = $${params.push(query.aggregateId)}`);
    if (query.correlationId) where.push(`metadata->>'correlationId' = $${params.push(query.correlationId)}`);
    if (query.type) where.push(`event_type = $${params.push(query.type)}`);
    const limit = query.limit ?? 200;
    if (where.length === 0) throw new BadRequestException({ message: 'give aggregateId, correlationId or type', details: [{ field: 'aggregateId', errors: ['one filter is required'] }] });
    const { rows } = await this.pool.query(
      `SELECT global_position::text AS position, event_id AS "eventId", event_type AS "eventType", aggregate_type AS "aggregateType",
              aggregate_id AS "aggregateId", version, occurred_at AS timestamp, schema_version AS "schemaVersion", data, metadata
       FROM ${this.service.schema}.events WHERE ${where.join(' AND ')} ORDER BY global_position LIMIT $${params.push(limit + 1)}`,
      params,
    );
    return { items: rows.slice(0, limit).map((row) => ({ ...row, service: this.service.name })), ...(rows.length > limit ? { truncated: true as const } : {}) };
  }
}
