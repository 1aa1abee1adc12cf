import { Command } from '@nestjs/cqrs';
import type { CommandResult } from '../command-result';

export class DeleteUser extends Command<CommandResult> {
  constructor(
    readonly userId: string,
    readonly expectedVersion?: number,
  ) {
    super();
  }
}
