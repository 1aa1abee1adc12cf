import type { AggregateRepository } from '@causeway/eventsourcing';
import type { User } from './user.aggregate';

export const USER_REPOSITORY = Symbol('USER_REPOSITORY');
export type UserRepository = AggregateRepository<User>;
