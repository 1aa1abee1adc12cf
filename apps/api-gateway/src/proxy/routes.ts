import type { Settings } from '@causeway/config';

/** Public path prefix (under /api) → the service that owns it (ARCHITECTURE §7). */
export function serviceRoutes(settings: Settings): Record<string, { service: string; url: string }> {
  return {
    users: { service: 'user-service', url: settings.services.user_service_url },
    orders: { service: 'order-service', url: settings.services.order_service_url },
    payments: { service: 'payment-service', url: settings.services.payment_service_url },
    notifications: { service: 'notification-service', url: settings.services.notification_service_url },
  };
}
