import { etag } from '@causeway/service-runtime';
import { Controller, Get, NotFoundException, Param, ParseUUIDPipe, Query, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { GetPaymentDto } from './queries/get-payment/get-payment.dto';
import { GetPayment } from './queries/get-payment/get-payment.query';
import { ListPaymentsDto } from './queries/list-payments/list-payments.dto';
import { ListPayments, type PaymentPage } from './queries/list-payments/list-payments.query';
import { PaymentView } from './queries/payment.view';

/** How long GET waits for the read model to reach ?minVersion before answering 202. */
const READ_YOUR_WRITES_WAIT_MS = 2_000;

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
  @ApiOkResponse({ type: PaymentView })
  @ApiAcceptedResponse({ description: 'the read model has not reached minVersion yet' })
  @ApiNotFoundResponse()
  async get(@Param('id', ParseUUIDPipe) id: string, @Query() { minVersion }: GetPaymentDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<PaymentView | object> {
    let { payment, cached } = await this.queries.execute(new GetPayment(id));
    if (minVersion !== undefined && (payment?.version ?? 0) < minVersion) {
      const deadline = Date.now() + READ_YOUR_WRITES_WAIT_MS;
      while ((payment?.version ?? 0) < minVersion && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        ({ payment, cached } = await this.queries.execute(new GetPayment(id, true)));
      }
      if ((payment?.version ?? 0) < minVersion) {
        reply.status(202);
        return { statusCode: 202, message: `not yet visible: the view is at version ${payment?.version ?? 0}, you asked for ${minVersion}; retry`, details: { currentVersion: payment?.version ?? 0, minVersion } };
      }
    }
    if (!payment) throw new NotFoundException(`Payment ${id} not found`);
    reply.header('etag', etag(payment.version)).header('x-cache', cached ? 'hit' : 'miss');
    return payment;
  }
}
