import { Query } from '@nestjs/cqrs';
import type { NotificationView } from '../notification.view';

export class GetNotification extends Query<{ notification: NotificationView | undefined; cached: boolean }> {
  constructor(readonly notificationId: string) {
    super();
  }
}
