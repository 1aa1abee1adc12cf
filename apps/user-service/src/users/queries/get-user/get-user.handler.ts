import { PG_POOL, QueryCache, SERVICE, type ServiceDefinition, type ViewRead } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { toUserView, type UserRow, type UserView } from '../user.view';
import { GetUser } from './get-user.query';

export const userCacheKey = (id: string) => `user:${id}`;

@QueryHandler(GetUser)
export class GetUserHandler implements IQueryHandler<GetUser> {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly cache: QueryCache,
  ) {}

  execute(query: GetUser): Promise<ViewRead<UserView>> {
    const load = async () => {
      const { rows } = await this.pool.query<UserRow>(`SELECT * FROM ${this.service.schema}.users WHERE id = $1`, [query.userId]);
      return rows[0] && toUserView(rows[0]);
    };
    return this.cache.getOrLoad(userCacheKey(query.userId), load, query.fresh);
  }
}
