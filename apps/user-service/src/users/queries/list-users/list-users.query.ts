import type { Page } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { UserView } from '../user.view';

/** `nextCursor` is opaque: pass it back as `cursor` for the next page; absent on the last page. */
export type UserPage = Page<UserView>;

export class ListUsers extends Query<UserPage> {
  constructor(
    readonly filter: { status?: 'active' | 'deleted'; email?: string },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
