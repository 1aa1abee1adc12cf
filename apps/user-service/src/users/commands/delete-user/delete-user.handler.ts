import { AuditTrail, commandCausation, inTransaction, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { releaseEmail } from '../../domain/email-reservations';
import { USER_REPOSITORY, type UserRepository } from '../../domain/user.repository';
import type { CommandResult } from '../command-result';
import { DeleteUser } from './delete-user.command';

@CommandHandler(DeleteUser)
export class DeleteUserHandler implements ICommandHandler<DeleteUser> {
  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: DeleteUser): Promise<CommandResult> {
    const commandId = randomUUID();
    return this.audit.run('DeleteUser', command.userId, commandId, async (recordAccepted) => {
      const user = await this.users.loadExisting(command.userId, command.expectedVersion);
      user.execute({ type: 'DeleteUser' });
      return inTransaction(this.pool, async (tx) => {
        // A deleted user's email may sign up again.
        await releaseEmail(tx, this.service.schema, user.current.email, user.id);
        await recordAccepted(tx);
        const { version } = await this.users.save(user, commandCausation(this.service.name, commandId), tx);
        return { id: user.id, version };
      });
    });
  }
}
