import type { EventStore } from '@causeway/eventsourcing';
import { assertRepeatOf, AuditTrail, commandCausation, EVENT_STORE, inTransaction, PG_POOL, SERVICE, type ServiceDefinition } from '@causeway/service-runtime';
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
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SERVICE) private readonly service: ServiceDefinition,
    private readonly audit: AuditTrail,
  ) {}

  async execute(command: CreateUser): Promise<CommandResult> {
    const commandId = randomUUID();
    return this.audit.run('CreateUser', command.userId, commandId, async (recordAccepted) => {
      // The controller generated the id just now: a new user, nothing to load.
      const user = this.users.startNew(command.userId);
      const [created] = user.execute({ type: 'CreateUser', email: command.email, givenName: command.givenName, familyName: command.familyName });
      try {
        return await inTransaction(this.pool, async (tx) => {
          if (created.type === 'UserCreated') await reserveEmail(tx, this.service.schema, created.data.email, user.id);
          await recordAccepted(tx);
          const { version } = await this.users.save(user, commandCausation(this.service.name, commandId), tx);
          return { id: user.id, version };
        });
      } catch (error) {
        // With an Idempotency-Key the id may be taken by an earlier request with the key (its
        // email reservation, or its version 1, is what failed here): answer with that user.
        const earlier = command.idempotent ? await this.store.readStream(command.userId) : [];
        if (earlier.length === 0) throw error;
        assertRepeatOf(earlier, created.data, 'user');
        const first = this.users.fromStream(command.userId, earlier);
        return { id: first.id, version: first.version, replayed: true as const };
      }
    });
  }
}
