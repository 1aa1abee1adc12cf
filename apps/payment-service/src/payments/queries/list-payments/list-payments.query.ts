import { Query } from '@nestjs/cqrs';
import type { PaymentStatus } from '../../domain/payment.aggregate';
import type { PaymentView } from '../payment.view';

export interface PaymentPage {
  items: PaymentView[];
  /** Opaque; pass back as `cursor` for the next page. Absent on the last page. */
  nextCursor?: string;
}

export class ListPayments extends Query<PaymentPage> {
  constructor(
    readonly filter: { orderId?: string; userId?: string; status?: PaymentStatus },
    readonly limit: number,
    readonly cursor?: string,
  ) {
    super();
  }
}
