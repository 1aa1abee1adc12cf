import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A notification as GET /notifications and /notifications/:id return it. */
export class NotificationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ example: 'welcome' }) template!: string;
  @ApiProperty({ example: 'recording' }) channel!: string;
  @ApiProperty({ enum: ['sent', 'failed'] }) status!: 'sent' | 'failed';
  @ApiPropertyOptional({ description: 'why the channel failed (status failed only)' }) error?: string;
  @ApiProperty({ format: 'uuid', description: 'eventId of the event this notification is about' }) causeEventId!: string;
  @ApiProperty({ description: 'Aggregate version this view reflects (also the ETag)' }) version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export interface NotificationRow {
  id: string;
  user_id: string;
  template: string;
  channel: string;
  status: 'sent' | 'failed';
  error: string | null;
  cause_event_id: string;
  version: number;
  created_at: Date;
}

export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    userId: row.user_id,
    template: row.template,
    channel: row.channel,
    status: row.status,
    ...(row.error !== null ? { error: row.error } : {}),
    causeEventId: row.cause_event_id,
    version: row.version,
    createdAt: row.created_at.toISOString(),
  };
}
