import { DomainRuleViolation } from '@causeway/eventsourcing';
import { scenario } from '@causeway/eventsourcing/testing';
import { randomUUID } from 'node:crypto';
import { MAX_ERROR_LENGTH, Notification, type NotificationCommand, type NotificationEvent } from './notification.aggregate';

const create = (id: string) => new Notification(id);
const userId = randomUUID();
const causeEventId = randomUUID();
const send = (outcome: NotificationCommand['outcome']): NotificationCommand => ({ type: 'SendNotification', userId, channel: 'recording', template: 'welcome', causeEventId, outcome });
const about = (notificationId: string) => ({ notificationId, userId, channel: 'recording', template: 'welcome', causeEventId });

describe('Notification aggregate', () => {
  it('SendNotification that the channel delivered → NotificationSent', async () => {
    const s = scenario(create);
    await s.given().when(send({ delivered: true })).then([{ type: 'NotificationSent', data: about(s.id) }]);
  });

  it('SendNotification that the channel failed → NotificationFailed with the error (a fact, not an exception)', async () => {
    const s = scenario(create);
    await s.given().when(send({ delivered: false, error: 'mailbox full' })).then([{ type: 'NotificationFailed', data: { ...about(s.id), error: 'mailbox full' } }]);
  });

  it('keeps a long or blank channel error within the contract (non-empty, bounded)', async () => {
    const long = scenario(create);
    await long.given().when(send({ delivered: false, error: 'x'.repeat(5_000) })).then([{ type: 'NotificationFailed', data: { ...about(long.id), error: 'x'.repeat(MAX_ERROR_LENGTH) } }]);
    const blank = scenario(create);
    await blank.given().when(send({ delivered: false, error: '  ' })).then([{ type: 'NotificationFailed', data: { ...about(blank.id), error: 'unknown channel error' } }]);
  });

  it('a second send of a sent notification is refused: at most once', async () => {
    const s = scenario(create);
    const sent: NotificationEvent = { type: 'NotificationSent', data: about(s.id) };
    await s.given(sent).when(send({ delivered: true })).thenRejects({ type: DomainRuleViolation, code: 'notification_already_sent' });
  });

  it('a failed notification is final too: a second send is refused', async () => {
    const s = scenario(create);
    const failed: NotificationEvent = { type: 'NotificationFailed', data: { ...about(s.id), error: 'smtp down' } };
    await s.given(failed).when(send({ delivered: true })).thenRejects({ type: DomainRuleViolation, code: 'notification_already_failed' });
  });

  it('tells the handler whether it may still ask the channel', () => {
    const fresh = new Notification(randomUUID());
    expect(fresh.mayBeSent).toBe(true);
    fresh.execute(send({ delivered: true }));
    expect(fresh.mayBeSent).toBe(false);
    expect(fresh.current).toMatchObject({ status: 'sent', userId, template: 'welcome', causeEventId });
  });
});
