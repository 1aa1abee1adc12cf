import { Command } from '@nestjs/cqrs';
import type { CommandResult } from '../command-result';

export class UpdateUser extends Command<CommandResult> {
  constructor(
    readonly userId: string,
    readonly changes: { email?: string; givenName?: string; familyName?: string },
    /** From If-Match: refuse the write if the user has moved on since the client read it. */
    readonly expectedVersion?: number,
  ) {
    super();
  }
}
