import { etag } from '@causeway/service-runtime';
import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetNotification } from './queries/get-notification/get-notification.query';
import { ListNotificationsDto } from './queries/list-notifications/list-notifications.dto';
import { ListNotifications, type NotificationPage } from './queries/list-notifications/list-notifications.query';
import { NotificationView } from './queries/notification.view';

/** Read-only: notifications are caused by events, never by a request. */
@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  list(@Query() query: ListNotificationsDto): Promise<NotificationPage> {
    return this.queries.execute(new ListNotifications({ userId: query.userId, status: query.status }, query.limit ?? 20, query.cursor));
  }

  @Get(':id')
  @ApiOkResponse({ type: NotificationView })
  @ApiNotFoundResponse()
  async get(@Param('id', ParseUUIDPipe) id: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<NotificationView> {
    const { notification, cached } = await this.queries.execute(new GetNotification(id));
    if (!notification) throw new NotFoundException(`Notification ${id} not found`);
    reply.header('etag', etag(notification.version)).header('x-cache', cached ? 'hit' : 'miss');
    return notification;
  }
}
