import { PG_POOL, QueryCache, SERVICE, type ServiceDefinition, type ViewRead } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toNotificationView, type NotificationRow, type NotificationView } from '../notification.view';
import { GetNotification } from './get-notification.query';

export const notificationCacheKey = (id: string) => `notification:${id}`;

@QueryHandler(GetNotification)
export class GetNotificationHandler implements IQueryHandler<GetNotification> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly cache: QueryCache,
  ) {}

  execute(query: GetNotification): Promise<ViewRead<NotificationView>> {
    const load = async () => {
      const { rows } = await this.pool.query<NotificationRow>(`SELECT * FROM ${this.service.schema}.notifications WHERE id = $1`, [query.notificationId]);
      return rows[0] && toNotificationView(rows[0]);
    };
    return this.cache.getOrLoad(notificationCacheKey(query.notificationId), load, query.fresh);
  }
}
