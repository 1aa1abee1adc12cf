import { Query } from '@nestjs/cqrs';
import type { UserView } from '../user.view';

export class GetUser extends Query<{ user: UserView | undefined; cached: boolean }> {
  constructor(
    readonly userId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
