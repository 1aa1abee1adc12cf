import { Command } from '@nestjs/cqrs';
import type { CommandResult } from '../command-result';

export class CreateUser extends Command<CommandResult> {
  constructor(
    readonly userId: string,
    readonly email: string,
    readonly givenName: string,
    readonly familyName: string,
    /** Given with an Idempotency-Key (userId derives from it): a repeat answers with the user created first. */
    readonly idempotent = false,
  ) {
    super();
  }
}
