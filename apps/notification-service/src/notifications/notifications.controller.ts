import { answerView, ApiViewRequest, ViewRequest, type ViewAnswer } from '@causeway/service-runtime';
import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiViewRequest()
  @ApiOkResponse({ type: NotificationView })
  @ApiAcceptedResponse({ description: 'the read model has not reached minVersion yet' })
  @ApiNotFoundResponse()
  get(@ViewRequest() { id, minVersion }: ViewRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ViewAnswer<NotificationView>> {
    return answerView(reply, `Notification ${id} not found`, minVersion, (fresh) => this.queries.execute(new GetNotification(id, fresh)));
  }
}
