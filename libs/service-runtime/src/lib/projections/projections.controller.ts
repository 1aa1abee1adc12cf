import { ProjectionNotRebuildableError, type ProjectionStatus } from '@causeway/eventsourcing';
import { Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, UnprocessableEntityException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { AuditTrail } from '../audit/audit-trail';
import type { ServiceDefinition } from '../service-definition';
import { ServiceLifecycle } from '../service-lifecycle';
import { SERVICE } from '../tokens';

/** A projection as the admin API shows it: checkpoint and lag as the metrics have them, and a rebuild under way. */
export interface ProjectionView {
  service: string;
  name: string;
  checkpoint: { transactionId: string; position: string };
  updatedAt: string;
  lag: { events: number; seconds: number };
  rebuild?: { startedAt: string; until: { transactionId: string; position: string }; eventsReplayed: number };
}

/**
 * The service's projections (ARCHITECTURE §8, the CLI's `projections`): where each stands, and a
 * rebuild from the start of the log. Admin only through the gateway (/api/admin/projections); the
 * service's own port is internal, as for /events.
 */
@ApiTags('admin')
@Controller('admin/projections')
export class ProjectionsController {
  constructor(
    private readonly lifecycle: ServiceLifecycle,
    private readonly audit: AuditTrail,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  @Get()
  async list(): Promise<{ items: ProjectionView[] }> {
    const runner = this.lifecycle.projectionRunner;
    if (!runner) return { items: [] };
    const [statuses, lags] = await Promise.all([runner.status(), this.lifecycle.projectionLag()]);
    return { items: statuses.map((status) => this.view(status, lags.find((l) => l.name === status.name))) };
  }

  /** 202: the rebuild has begun (read model emptied, checkpoint rewound); GET shows its progress. */
  @Post(':name/rebuild')
  @HttpCode(202)
  async rebuild(@Param('name') name: string): Promise<ProjectionView> {
    const runner = this.lifecycle.projectionRunner;
    if (!runner?.names.includes(name)) throw new NotFoundException(`${this.service.name} has no projection ${name}`);
    return this.audit.run('RebuildProjection', undefined, randomUUID(), async () => {
      try {
        const status = await runner.rebuild(name);
        return this.view(status, (await this.lifecycle.projectionLag()).find((l) => l.name === name));
      } catch (error) {
        if (error instanceof ProjectionNotRebuildableError) throw new UnprocessableEntityException(error.message);
        throw error;
      }
    });
  }

  private view(status: ProjectionStatus, lag: { events: number; seconds: number } | undefined): ProjectionView {
    const checkpoint = (c: ProjectionStatus['checkpoint']) => ({ transactionId: c.transactionId.toString(), position: c.position.toString() });
    return {
      service: this.service.name,
      name: status.name,
      checkpoint: checkpoint(status.checkpoint),
      updatedAt: status.updatedAt.toISOString(),
      lag: { events: lag?.events ?? 0, seconds: lag?.seconds ?? 0 },
      ...(status.rebuild
        ? { rebuild: { startedAt: status.rebuild.startedAt.toISOString(), until: checkpoint(status.rebuild.until), eventsReplayed: status.rebuild.eventsReplayed } }
        : {}),
    };
  }
}
