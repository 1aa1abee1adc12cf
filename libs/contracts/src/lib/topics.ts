/** Kafka topics (ARCHITECTURE §4). Key = aggregateId, so one aggregate's events stay in order on one partition. */
export const Topics = {
  userEvents: 'user_events',
  orderEvents: 'order_events',
  paymentEvents: 'payment_events',
  notificationEvents: 'notification_events',
  systemEvents: 'system_events',
  auditEvents: 'audit_events',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

/** Where a message goes after its retries are spent: `<topic>.dlq`, with the error in its headers. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}
