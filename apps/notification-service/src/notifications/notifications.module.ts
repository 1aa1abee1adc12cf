import { repositoryProvider } from '@causeway/service-runtime';
import { Module } from '@nestjs/common';
import { NOTIFICATION_CHANNEL } from './channels/notification-channel.port';
import { RecordingChannel } from './channels/recording.channel';
import { SendNotificationHandler } from './commands/send-notification/send-notification.handler';
import { NotificationTriggersConsumer } from './consumers/notification-triggers.consumer';
import { Notification } from './domain/notification.aggregate';
import { NOTIFICATION_REPOSITORY } from './domain/notification.repository';
import { NotificationsController } from './notifications.controller';
import { NotificationsProjection } from './projections/notifications.projection';
import { GetNotificationHandler } from './queries/get-notification/get-notification.handler';
import { ListNotificationsHandler } from './queries/list-notifications/list-notifications.handler';

@Module({
  controllers: [NotificationsController, NotificationTriggersConsumer],
  providers: [
    repositoryProvider(NOTIFICATION_REPOSITORY, (id) => new Notification(id)),
    // The channel behind the port: bind an SMTP / webhook adapter here to send for real.
    { provide: NOTIFICATION_CHANNEL, useClass: RecordingChannel },
    SendNotificationHandler,
    GetNotificationHandler,
    ListNotificationsHandler,
    NotificationsProjection,
  ],
})
export class NotificationsModule {}
