import { Query } from '@nestjs/cqrs';
import type { UserView } from '../user.view';

export interface UserPage {
  items: UserView[];
  /** Opaque; pass back as `cursor` for the next page. Absent on the last page. */
  nextCursor?: string;
}

export class ListUsers extends Query<UserPage> {
  constructor(
    readonly filter: { status?: 'active' | 'deleted'; email?: string },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
