import { answerView, ApiIdempotencyKey, ApiViewRequest, etag, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKey, parseIfMatch, ViewRequest, type ViewAnswer } from '@causeway/service-runtime';
import { Body, Controller, Delete, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiConflictResponse, ApiCreatedResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CommandResult } from './commands/command-result';
import { CreateUser } from './commands/create-user/create-user.command';
import { CreateUserDto } from './commands/create-user/create-user.dto';
import { DeleteUser } from './commands/delete-user/delete-user.command';
import { UpdateUser } from './commands/update-user/update-user.command';
import { UpdateUserDto } from './commands/update-user/update-user.dto';
import { userIdForKey } from './domain/user-id';
import { GetUserStats, type UserStats } from './queries/get-user-stats/get-user-stats.query';
import { GetUser } from './queries/get-user/get-user.query';
import { ListUsersDto } from './queries/list-users/list-users.dto';
import { ListUsers, type UserPage } from './queries/list-users/list-users.query';
import { UserView } from './queries/user.view';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  @Post()
  @ApiCreatedResponse({ type: CommandResult })
  @ApiConflictResponse({ description: 'email already in use' })
  @ApiUnprocessableEntityResponse({ description: 'idempotency_key_reused' })
  @ApiIdempotencyKey('answers with the user created the first time')
  async create(@Body() dto: CreateUserDto, @IdempotencyKey() key: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<CommandResult> {
    const userId = key === undefined ? randomUUID() : userIdForKey(key);
    const result = await this.commands.execute(new CreateUser(userId, dto.email, dto.givenName, dto.familyName, key !== undefined));
    reply.status(201).header('etag', etag(result.version)).header('location', `/users/${result.id}`);
    if (result.replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return result;
  }

  @Get('stats')
  stats(): Promise<UserStats> {
    return this.queries.execute(new GetUserStats());
  }

  @Get()
  list(@Query() query: ListUsersDto): Promise<UserPage> {
    return this.queries.execute(new ListUsers({ status: query.status, email: query.email }, query.limit ?? 20, query.cursor));
  }

  @Get(':id')
  @ApiViewRequest()
  @ApiOkResponse({ type: UserView })
  @ApiAcceptedResponse({ description: 'the read model has not reached minVersion yet' })
  @ApiNotFoundResponse()
  get(@ViewRequest() { id, minVersion }: ViewRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ViewAnswer<UserView>> {
    return answerView(reply, `User ${id} not found`, minVersion, (fresh) => this.queries.execute(new GetUser(id, fresh)));
  }

  @Patch(':id')
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag from a previous response: a stale one makes this a 409' })
  @ApiOkResponse({ type: CommandResult })
  @ApiConflictResponse()
  @ApiUnprocessableEntityResponse()
  async update(@Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateUserDto, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<CommandResult> {
    const result = await this.commands.execute(new UpdateUser(id, dto, parseIfMatch(ifMatch)));
    reply.header('etag', etag(result.version));
    return result;
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: CommandResult })
  async delete(@Param('id', ParseUUIDPipe) id: string, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<CommandResult> {
    const result = await this.commands.execute(new DeleteUser(id, parseIfMatch(ifMatch)));
    reply.header('etag', etag(result.version));
    return result;
  }
}
