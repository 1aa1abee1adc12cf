import type { EventPayload } from '@causeway/contracts';
import { Aggregate, assertNever, DomainRuleViolation, type DomainEvent } from '@causeway/eventsourcing';

export type UserStatus = 'active' | 'deleted';

export interface UserState {
  email: string;
  givenName: string;
  familyName: string;
  status: UserStatus | 'none';
}

export type UserCommand =
  | { type: 'CreateUser'; email: string; givenName: string; familyName: string }
  | { type: 'UpdateUser'; email?: string; givenName?: string; familyName?: string }
  | { type: 'DeleteUser' };

export type UserEvent =
  | DomainEvent<'UserCreated', EventPayload<'UserCreated'>>
  | DomainEvent<'UserUpdated', EventPayload<'UserUpdated'>>
  | DomainEvent<'UserDeleted', EventPayload<'UserDeleted'>>;

/** The seed's User aggregate: create, update name/email, delete; active → deleted. */
export class User extends Aggregate<UserState, UserCommand, UserEvent> {
  readonly aggregateType = 'User';

  protected initialState(): UserState {
    return { email: '', givenName: '', familyName: '', status: 'none' };
  }

  get current(): Readonly<UserState> {
    return this.state;
  }

  protected handle(command: UserCommand): UserEvent[] {
    switch (command.type) {
      case 'CreateUser':
        if (this.state.status !== 'none') throw new DomainRuleViolation('user_exists', `user ${this.id} already exists`);
        return [{ type: 'UserCreated', data: { userId: this.id, email: normalizeEmail(command.email), givenName: command.givenName, familyName: command.familyName } }];
      case 'UpdateUser': {
        this.requireActive();
        const changes: Omit<EventPayload<'UserUpdated'>, 'userId'> = {};
        if (command.email !== undefined && normalizeEmail(command.email) !== this.state.email) changes.email = normalizeEmail(command.email);
        if (command.givenName !== undefined && command.givenName !== this.state.givenName) changes.givenName = command.givenName;
        if (command.familyName !== undefined && command.familyName !== this.state.familyName) changes.familyName = command.familyName;
        // Nothing changes: nothing happened. The update is accepted and records no event.
        return Object.keys(changes).length === 0 ? [] : [{ type: 'UserUpdated', data: { userId: this.id, ...changes } }];
      }
      case 'DeleteUser':
        this.requireActive();
        return [{ type: 'UserDeleted', data: { userId: this.id } }];
      default:
        return assertNever(command);
    }
  }

  protected apply(state: UserState, event: UserEvent): UserState {
    switch (event.type) {
      case 'UserCreated':
        return { email: event.data.email, givenName: event.data.givenName, familyName: event.data.familyName, status: 'active' };
      case 'UserUpdated':
        return {
          ...state,
          email: event.data.email ?? state.email,
          givenName: event.data.givenName ?? state.givenName,
          familyName: event.data.familyName ?? state.familyName,
        };
      case 'UserDeleted':
        return { ...state, status: 'deleted' };
      default:
        return assertNever(event);
    }
  }

  private requireActive(): void {
    if (this.state.status === 'deleted') throw new DomainRuleViolation('user_deleted', `user ${this.id} is deleted`);
  }
}

/** Emails compare case-insensitively; they are stored lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
