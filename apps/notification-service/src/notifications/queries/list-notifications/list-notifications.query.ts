import { Query } from '@nestjs/cqrs';
import type { NotificationView } from '../notification.view';

export interface NotificationPage {
  items: NotificationView[];
  /** Opaque; pass back as `cursor` for the next page. Absent on the last page. */
  nextCursor?: string;
}

export class ListNotifications extends Query<NotificationPage> {
  constructor(
    readonly filter: { userId?: string; status?: 'sent' | 'failed' },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
