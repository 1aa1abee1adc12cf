import type { AdminApi } from '../admin-api';
import type { Output } from '../output';

/** As GET /api/events answers: the stored envelope, with the service that stores it. */
interface InspectedEvent {
  service: string;
  position: string;
  eventId: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  version: number;
  timestamp: string;
  data: unknown;
  metadata: { correlationId?: string; causationId?: string };
}

export type EventFilter = { correlationId: string } | { aggregateId: string } | { type: string };

/**
 * `causeway events`: the stored events of every service matching one filter, in time order (one
 * order's whole saga by its correlation id), a line each, or as JSON lines with --json.
 */
export async function showEvents(api: AdminApi, output: Output, filter: EventFilter, options: { json: boolean; limit: number }): Promise<number> {
  const query = new URLSearchParams({ ...(filter as Record<string, string>), limit: String(options.limit) }).toString();
  const { items, unavailable, truncated } = await api.get<{ items: InspectedEvent[]; unavailable?: string[]; truncated?: string[] }>(`/events?${query}`);
  for (const e of items) {
    output.out(options.json ? JSON.stringify(e) : `${e.timestamp}  ${e.service.padEnd(20)}  ${e.eventType.padEnd(18)}  ${e.aggregateType}/${e.aggregateId} v${e.version}  caused by ${e.metadata.causationId ?? '-'}`);
  }
  if (items.length === 0) output.err('no stored event matches');
  if (truncated?.length) output.err(`more matches than shown (each service sends its oldest ${options.limit}): ${truncated.join(', ')}; narrow the filter or raise --limit`);
  if (unavailable?.length) output.err(`not answering (their events are missing above): ${unavailable.join(', ')}`);
  return unavailable?.length ? 1 : 0;
}
