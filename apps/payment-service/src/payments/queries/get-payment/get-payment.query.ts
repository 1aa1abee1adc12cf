import { Query } from '@nestjs/cqrs';
import type { PaymentView } from '../payment.view';

export class GetPayment extends Query<{ payment: PaymentView | undefined; cached: boolean }> {
  constructor(
    readonly paymentId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
