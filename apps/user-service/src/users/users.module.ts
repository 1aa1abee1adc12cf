import { repositoryProvider } from '@causeway/service-runtime';
import { Module } from '@nestjs/common';
import { CreateUserHandler } from './commands/create-user/create-user.handler';
import { DeleteUserHandler } from './commands/delete-user/delete-user.handler';
import { UpdateUserHandler } from './commands/update-user/update-user.handler';
import { User } from './domain/user.aggregate';
import { USER_REPOSITORY } from './domain/user.repository';
import { UserStatsRefresher } from './projections/user-stats.refresher';
import { UsersProjection } from './projections/users.projection';
import { GetUserStatsHandler } from './queries/get-user-stats/get-user-stats.handler';
import { GetUserHandler } from './queries/get-user/get-user.handler';
import { ListUsersHandler } from './queries/list-users/list-users.handler';
import { UsersController } from './users.controller';

@Module({
  controllers: [UsersController],
  providers: [
    repositoryProvider(USER_REPOSITORY, (id) => new User(id)),
    CreateUserHandler,
    UpdateUserHandler,
    DeleteUserHandler,
    GetUserHandler,
    ListUsersHandler,
    GetUserStatsHandler,
    UsersProjection,
    UserStatsRefresher,
  ],
})
export class UsersModule {}
