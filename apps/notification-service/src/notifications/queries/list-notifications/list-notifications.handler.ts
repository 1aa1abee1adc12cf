import { keysetPage, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toNotificationView } from '../notification.view';
import { ListNotifications, type NotificationPage } from './list-notifications.query';

/** Newest first, keyset-paginated (keysetPage). */
@QueryHandler(ListNotifications)
export class ListNotificationsHandler implements IQueryHandler<ListNotifications> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  execute({ filter, limit, cursor }: ListNotifications): Promise<NotificationPage> {
    const table = `${this.service.schema}.notifications`;
    return keysetPage(this.pool, { table, filter: { user_id: filter.userId, status: filter.status }, limit, cursor, order: 'desc' }, toNotificationView);
  }
}
