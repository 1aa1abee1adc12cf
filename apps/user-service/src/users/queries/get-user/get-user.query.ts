import type { ViewRead } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { UserView } from '../user.view';

export class GetUser extends Query<ViewRead<UserView>> {
  constructor(
    readonly userId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
