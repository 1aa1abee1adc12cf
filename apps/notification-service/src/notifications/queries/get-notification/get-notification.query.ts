import type { ViewRead } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { NotificationView } from '../notification.view';

export class GetNotification extends Query<ViewRead<NotificationView>> {
  constructor(
    readonly notificationId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
