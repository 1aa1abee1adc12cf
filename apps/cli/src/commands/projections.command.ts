import type { ProjectionView } from '@causeway/service-runtime';
import type { AdminApi } from '../admin-api';
import { table, type Output } from '../output';

/** As GET /api/admin/projections answers: every service's projections, merged by the gateway. */
interface ProjectionList {
  items: ProjectionView[];
  unavailable?: string[];
}

/** `causeway projections`: every service's projections, where each stands and how far behind. */
export async function listProjections(api: AdminApi, output: Output): Promise<number> {
  const { items, unavailable } = await api.get<ProjectionList>('/admin/projections');
  const rows = items.map((p) => [
    p.service,
    p.name,
    `${p.checkpoint.transactionId}/${p.checkpoint.position}`,
    String(p.lag.events),
    p.lag.seconds.toFixed(1),
    p.rebuild ? `rebuilding since ${p.rebuild.startedAt}, ${p.rebuild.eventsReplayed} events replayed` : '',
  ]);
  for (const line of table(['SERVICE', 'PROJECTION', 'CHECKPOINT (xid/position)', 'LAG EVENTS', 'LAG S', 'REBUILD'], rows)) output.out(line);
  if (unavailable?.length) output.err(`not answering: ${unavailable.join(', ')}`);
  return unavailable?.length ? 1 : 0;
}

export interface RebuildOptions {
  wait: boolean;
  timeoutMs: number;
  pollMs: number;
}

/**
 * `causeway projections rebuild <service> <name>`: the service empties the read model and
 * replays it from its event log. Waits until the rebuild has caught up (or the timeout), saying
 * how far it got; with --no-wait it returns once the rebuild has begun.
 */
export async function rebuildProjection(api: AdminApi, output: Output, service: string, name: string, options: RebuildOptions): Promise<number> {
  const started = await api.post<ProjectionView>(`/admin/projections/${encodeURIComponent(service)}/${encodeURIComponent(name)}/rebuild`);
  output.out(`${service} ${name}: rebuild started${started.rebuild ? ` at ${started.rebuild.startedAt}` : ''}`);
  if (!options.wait) return 0;
  const deadline = Date.now() + options.timeoutMs;
  let reported = -1;
  for (;;) {
    const { items } = await api.get<ProjectionList>('/admin/projections');
    const current = items.find((p) => p.service === service && p.name === name);
    if (!current) throw new Error(`${service} no longer lists projection ${name}`);
    if (!current.rebuild) {
      output.out(`${service} ${name}: rebuilt; ${current.lag.events} events behind the log now`);
      return 0;
    }
    if (current.rebuild.eventsReplayed !== reported) {
      reported = current.rebuild.eventsReplayed;
      output.out(`${service} ${name}: ${reported} events replayed`);
    }
    if (Date.now() > deadline) {
      output.err(`${service} ${name}: still rebuilding after ${options.timeoutMs / 1000} s (it goes on in the service; \`causeway projections\` shows how far it is)`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
