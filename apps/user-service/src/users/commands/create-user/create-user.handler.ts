import { AuditTrail, commandCausation, inTransaction, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { reserveEmail } from '../../domain/email-reservations';
import { USER_REPOSITORY, type UserRepository } from '../../domain/user.repository';
import type { CommandResult } from '../command-result';
import { CreateUser } from './create-user.command';

@CommandHandler(CreateUser)
export class CreateUserHandler implements ICommandHandler<CreateUser> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: CreateUser): Promise<CommandResult> {
    const commandId = randomUUID();
    return this.audit.run('CreateUser', command.userId, commandId, async (recordAccepted) => {
      // The controller generated the id just now: a new user, nothing to load.
      const user = this.users.startNew(command.userId);
      const [created] = user.execute({ type: 'CreateUser', email: command.email, givenName: command.givenName, familyName: command.familyName });
      return inTransaction(this.pool, async (tx) => {
        if (created.type === 'UserCreated') await reserveEmail(tx, this.service.schema, created.data.email, user.id);
        const { version } = await this.users.save(user, commandCausation(this.service.name, commandId), tx);
        await recordAccepted(tx);
        return { id: user.id, version };
      });
    });
  }
}
