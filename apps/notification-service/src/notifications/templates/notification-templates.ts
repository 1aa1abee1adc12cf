import type { EventPayload } from '@causeway/contracts';
import { assertNever } from '@causeway/eventsourcing';

/** A template and the cause event's data it is rendered from: one per event type the service reacts to. */
export type TemplateMessage =
  | { template: 'welcome'; data: EventPayload<'UserCreated'> }
  | { template: 'order_confirmed'; data: EventPayload<'OrderConfirmed'> }
  | { template: 'order_cancelled'; data: EventPayload<'OrderCancelled'> }
  | { template: 'order_shipped'; data: EventPayload<'OrderShipped'> }
  | { template: 'order_delivered'; data: EventPayload<'OrderDelivered'> }
  | { template: 'payment_failed'; data: EventPayload<'PaymentFailed'> }
  | { template: 'payment_refunded'; data: EventPayload<'PaymentRefunded'> };

export type TemplateName = TemplateMessage['template'];

export interface RenderedMessage {
  subject: string;
  body: string;
}

const CANCELLATION_REASONS: Record<EventPayload<'OrderCancelled'>['reason'], string> = {
  payment_failed: 'the payment failed',
  payment_timeout: 'no payment arrived in time',
  customer_request: 'you asked us to cancel it',
  user_deleted: 'your account was closed',
};

/** Per currency (ISO codes: a few hundred at most), its decimals: an Intl.NumberFormat costs ~25 µs to build, 2% of the service under load. */
const decimals = new Map<string, number>();

/** Integer minor units + ISO currency → "EUR 12.50" (the currency's own number of decimals, e.g. none for JPY). */
export function formatMoney(amountCents: number, currency: string): string {
  let digits = decimals.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    decimals.set(currency, digits);
  }
  return `${currency} ${(amountCents / 10 ** digits).toFixed(digits)}`;
}

const short = (id: string) => id.slice(0, 8);

/** Pure: subject and body of a notification, from its template and the cause event's data. */
export function renderTemplate(message: TemplateMessage): RenderedMessage {
  switch (message.template) {
    case 'welcome': {
      const { givenName } = message.data;
      return { subject: `Welcome to Causeway, ${givenName}`, body: `Hello ${givenName},\n\nyour account (${message.data.email}) is ready. Welcome aboard!` };
    }
    case 'order_confirmed': {
      const { orderId, totalCents, currency } = message.data;
      return { subject: `Order ${short(orderId)} confirmed`, body: `Your order ${orderId} is confirmed: we received your payment of ${formatMoney(totalCents, currency)}.` };
    }
    case 'order_cancelled': {
      const { orderId, reason, refundDue } = message.data;
      return {
        subject: `Order ${short(orderId)} cancelled`,
        body: `Your order ${orderId} was cancelled because ${CANCELLATION_REASONS[reason]} (reason: ${reason}).${refundDue ? ' Your payment will be refunded.' : ''}`,
      };
    }
    case 'order_shipped':
      return { subject: `Order ${short(message.data.orderId)} shipped`, body: `Your order ${message.data.orderId} is on its way.` };
    case 'order_delivered':
      return { subject: `Order ${short(message.data.orderId)} delivered`, body: `Your order ${message.data.orderId} was delivered. Enjoy!` };
    case 'payment_failed': {
      const { orderId, reason } = message.data;
      return { subject: `Payment for order ${short(orderId)} failed`, body: `We could not take the payment for your order ${orderId}: ${reason}.` };
    }
    case 'payment_refunded': {
      const { orderId, amountCents, currency, reason } = message.data;
      return { subject: `Refund for order ${short(orderId)}`, body: `We refunded ${formatMoney(amountCents, currency)} for your order ${orderId} (${reason}).` };
    }
    default:
      return assertNever(message);
  }
}
