import type { Page } from '@causeway/service-runtime';
import { Query } from '@nestjs/cqrs';
import type { PaymentStatus } from '../../domain/payment.aggregate';
import type { PaymentView } from '../payment.view';

/** `nextCursor` is opaque: pass it back as `cursor` for the next page; absent on the last page. */
export type PaymentPage = Page<PaymentView>;

export class ListPayments extends Query<PaymentPage> {
  constructor(
    readonly filter: { orderId?: string; userId?: string; status?: PaymentStatus },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
