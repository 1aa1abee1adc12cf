import { keysetPage, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { normalizeEmail } from '../../domain/user.aggregate';
import { toUserView } from '../user.view';
import { ListUsers, type UserPage } from './list-users.query';

/** Oldest first, keyset-paginated (keysetPage). */
@QueryHandler(ListUsers)
export class ListUsersHandler implements IQueryHandler<ListUsers> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
  ) {}

  execute({ filter, limit, cursor }: ListUsers): Promise<UserPage> {
    const table = `${this.service.schema}.users`;
    return keysetPage(this.pool, { table, filter: { status: filter.status, email: filter.email === undefined ? undefined : normalizeEmail(filter.email) }, limit, cursor, order: 'asc' }, toUserView);
  }
}
