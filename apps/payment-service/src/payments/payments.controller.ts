import { answerView, ApiViewRequest, ViewRequest, type ViewAnswer } from '@causeway/service-runtime';
import { Controller, Get, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetPayment } from './queries/get-payment/get-payment.query';
import { ListPaymentsDto } from './queries/list-payments/list-payments.dto';
import { ListPayments, type PaymentPage } from './queries/list-payments/list-payments.query';
import { PaymentView } from './queries/payment.view';

/** Read-only: payments change through the saga (order_events), not through HTTP. The gateway proxies /api/payments/* here. */
@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  list(@Query() query: ListPaymentsDto): Promise<PaymentPage> {
    return this.queries.execute(new ListPayments({ orderId: query.orderId, userId: query.userId, status: query.status }, query.limit ?? 20, query.cursor));
  }

  @Get(':id')
  @ApiViewRequest()
  @ApiOkResponse({ type: PaymentView })
  @ApiAcceptedResponse({ description: 'the read model has not reached minVersion yet' })
  @ApiNotFoundResponse()
  get(@ViewRequest() { id, minVersion }: ViewRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ViewAnswer<PaymentView>> {
    return answerView(reply, `Payment ${id} not found`, minVersion, (fresh) => this.queries.execute(new GetPayment(id, fresh)));
  }
}
