import { AuditTrail, commandCausation, inTransaction, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { releaseEmail, reserveEmail } from '../../domain/email-reservations';
import { USER_REPOSITORY, type UserRepository } from '../../domain/user.repository';
import type { CommandResult } from '../command-result';
import { UpdateUser } from './update-user.command';

@CommandHandler(UpdateUser)
export class UpdateUserHandler implements ICommandHandler<UpdateUser> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: UpdateUser): Promise<CommandResult> {
    const commandId = randomUUID();
    return this.audit.run('UpdateUser', command.userId, commandId, async (recordAccepted) => {
      const user = await this.users.loadExisting(command.userId, command.expectedVersion);
      const previousEmail = user.current.email;
      const events = user.execute({ type: 'UpdateUser', ...command.changes });
      return inTransaction(this.pool, async (tx) => {
        for (const event of events) {
          if (event.type === 'UserUpdated' && event.data.email) {
            await releaseEmail(tx, this.service.schema, previousEmail, user.id);
            await reserveEmail(tx, this.service.schema, event.data.email, user.id);
          }
        }
        await recordAccepted(tx);
        const { version } = await this.users.save(user, commandCausation(this.service.name, commandId), tx);
        return { id: user.id, version };
      });
    });
  }
}
