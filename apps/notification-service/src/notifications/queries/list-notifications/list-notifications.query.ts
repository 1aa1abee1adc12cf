import type { Page } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { NotificationView } from '../notification.view';

/** `nextCursor` is opaque: pass it back as `cursor` for the next page; absent on the last page. */
export type NotificationPage = Page<NotificationView>;

export class ListNotifications extends Query<NotificationPage> {
  constructor(
    readonly filter: { userId?: string; status?: 'sent' | 'failed' },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
