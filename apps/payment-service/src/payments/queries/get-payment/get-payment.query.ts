import type { ViewRead } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { PaymentView } from '../payment.view';

export class GetPayment extends Query<ViewRead<PaymentView>> {
  constructor(
    readonly paymentId: string,
    /** Skip the cache: a read-your-writes wait needs the database's answer. */
    readonly fresh = false,
  ) {
    super();
  }
}
