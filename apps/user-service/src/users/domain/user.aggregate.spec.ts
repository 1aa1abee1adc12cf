import { DomainRuleViolation } from '@causeway/eventsourcing';
import { scenario } from '@causeway/eventsourcing/testing';
import { User, type UserEvent } from './user.aggregate';

const create = (id: string) => new User(id);

describe('User aggregate', () => {
  it('CreateUser → UserCreated, email normalised', async () => {
    const s = scenario(create);
    await s.given().when({ type: 'CreateUser', email: ' Ada@Example.COM ', givenName: 'Ada', familyName: 'Lovelace' })
      .then([{ type: 'UserCreated', data: { userId: s.id, email: 'ada@example.com', givenName: 'Ada', familyName: 'Lovelace' } }]);
  });

  it('CreateUser twice is refused', async () => {
    const s = scenario(create);
    const created: UserEvent = { type: 'UserCreated', data: { userId: s.id, email: 'a@example.com', givenName: 'A', familyName: 'B' } };
    await s.given(created).when({ type: 'CreateUser', email: 'a@example.com', givenName: 'A', familyName: 'B' }).thenRejects({ type: DomainRuleViolation, code: 'user_exists' });
  });

  it('UpdateUser → UserUpdated with only the fields that change', async () => {
    const s = scenario(create);
    await s.given({ type: 'UserCreated', data: { userId: s.id, email: 'a@example.com', givenName: 'A', familyName: 'B' } })
      .when({ type: 'UpdateUser', email: 'A@example.com', givenName: 'Ann' })
      .then([{ type: 'UserUpdated', data: { userId: s.id, givenName: 'Ann' } }]);
  });

  it('UpdateUser that changes nothing records nothing', async () => {
    const s = scenario(create);
    await s.given({ type: 'UserCreated', data: { userId: s.id, email: 'a@example.com', givenName: 'A', familyName: 'B' } })
      .when({ type: 'UpdateUser', givenName: 'A' })
      .then([]);
  });

  it('DeleteUser → UserDeleted', async () => {
    const s = scenario(create);
    await s.given({ type: 'UserCreated', data: { userId: s.id, email: 'a@example.com', givenName: 'A', familyName: 'B' } })
      .when({ type: 'DeleteUser' })
      .then([{ type: 'UserDeleted', data: { userId: s.id } }]);
  });

  it.each([
    ['UpdateUser', { type: 'UpdateUser', givenName: 'X' } as const],
    ['DeleteUser', { type: 'DeleteUser' } as const],
  ])('%s on a deleted user is refused', async (_name, command) => {
    const s = scenario(create);
    await s.given({ type: 'UserCreated', data: { userId: s.id, email: 'a@example.com', givenName: 'A', familyName: 'B' } }, { type: 'UserDeleted', data: { userId: s.id } })
      .when(command)
      .thenRejects({ type: DomainRuleViolation, code: 'user_deleted' });
  });
});
