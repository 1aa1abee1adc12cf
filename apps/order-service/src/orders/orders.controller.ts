import { answerView, ApiIdempotencyKey, ApiViewRequest, etag, IDEMPOTENT_REPLAYED_HEADER, IdempotencyKey, parseIfMatch, ViewRequest, type ViewAnswer } from '@causeway/service-runtime';
import { Body, Controller, Get, Headers, HttpCode, NotFoundException, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiAcceptedResponse, ApiConflictResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomUUID } from 'node:crypto';
import { CancelOrder } from './commands/cancel-order/cancel-order.command';
import { CancelOrderDto } from './commands/cancel-order/cancel-order.dto';
import { OrderCommandResult } from './commands/command-result';
import { DeliverOrder } from './commands/deliver-order/deliver-order.command';
import { PlaceOrder } from './commands/place-order/place-order.command';
import { PlaceOrderDto } from './commands/place-order/place-order.dto';
import { ShipOrder } from './commands/ship-order/ship-order.command';
import { orderIdForKey } from './domain/order-id';
import { GetOrder } from './queries/get-order/get-order.query';
import { GetOrderSaga } from './queries/get-order-saga/get-order-saga.query';
import { OrderSagaView } from './queries/get-order-saga/order-saga.view';
import { ListOrdersDto } from './queries/list-orders/list-orders.dto';
import { ListOrders, type OrderPage } from './queries/list-orders/list-orders.query';
import { OrderView } from './queries/order.view';

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  /** 202: the order is accepted as PENDING; payment follows asynchronously (the saga). */
  @Post()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: OrderCommandResult })
  @ApiUnprocessableEntityResponse({ description: 'unknown_customer, customer_deleted, order_total_too_large, idempotency_key_reused' })
  @ApiIdempotencyKey('answers with the order placed the first time')
  async place(@Body() dto: PlaceOrderDto, @IdempotencyKey() key: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<OrderCommandResult> {
    const items = dto.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents }));
    const orderId = key === undefined ? randomUUID() : orderIdForKey(dto.userId, key);
    const result = await this.commands.execute(new PlaceOrder(orderId, dto.userId, items, dto.currency, dto.paymentMethod, key !== undefined));
    reply.header('etag', etag(result.version)).header('location', `/orders/${result.id}`);
    if (result.replayed) reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    return result;
  }

  @Get()
  list(@Query() query: ListOrdersDto): Promise<OrderPage> {
    return this.queries.execute(new ListOrders({ userId: query.userId, status: query.status }, query.limit ?? 20, query.cursor));
  }

  @Get(':id')
  @ApiViewRequest()
  @ApiOkResponse({ type: OrderView })
  @ApiAcceptedResponse({ description: 'the read model has not reached minVersion yet' })
  @ApiNotFoundResponse()
  get(@ViewRequest() { id, minVersion }: ViewRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ViewAnswer<OrderView>> {
    return answerView(reply, `Order ${id} not found`, minVersion, (fresh) => this.queries.execute(new GetOrder(id, fresh)));
  }

  /** ARCHITECTURE §5: each step of the order's saga (event, service, time, correlation id) and where it stands. */
  @Get(':id/saga')
  @ApiOkResponse({ type: OrderSagaView })
  @ApiNotFoundResponse()
  async saga(@Param('id', ParseUUIDPipe) id: string): Promise<OrderSagaView> {
    const saga = await this.queries.execute(new GetOrderSaga(id));
    if (!saga) throw new NotFoundException(`Order ${id} not found`);
    return saga;
  }

  @Post(':id/ship')
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag from a previous response: a stale one makes this a 409' })
  @ApiOkResponse({ type: OrderCommandResult })
  @ApiConflictResponse()
  @ApiUnprocessableEntityResponse({ description: 'order_not_confirmed, order_already_shipped, order_cancelled' })
  async ship(@Param('id', ParseUUIDPipe) id: string, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<OrderCommandResult> {
    return this.withEtag(reply, await this.commands.execute(new ShipOrder(id, parseIfMatch(ifMatch))));
  }

  @Post(':id/deliver')
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: OrderCommandResult })
  @ApiConflictResponse()
  @ApiUnprocessableEntityResponse({ description: 'order_not_shipped, order_already_delivered, order_cancelled' })
  async deliver(@Param('id', ParseUUIDPipe) id: string, @Headers('if-match') ifMatch: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<OrderCommandResult> {
    return this.withEtag(reply, await this.commands.execute(new DeliverOrder(id, parseIfMatch(ifMatch))));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiHeader({ name: 'If-Match', required: false })
  @ApiOkResponse({ type: OrderCommandResult })
  @ApiConflictResponse()
  @ApiUnprocessableEntityResponse({ description: 'order_already_shipped, order_already_cancelled' })
  async cancel(
    @Param('id', ParseUUIDPipe) id: string,
    // Validated (a string of at most 500 chars) but not recorded: see CancelOrderDto.
    @Body() _body: CancelOrderDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<OrderCommandResult> {
    const result = await this.commands.execute(new CancelOrder(id, 'customer_request', parseIfMatch(ifMatch)));
    // Without a reaction precondition the command always acts or throws.
    return this.withEtag(reply, result as OrderCommandResult);
  }

  private withEtag(reply: FastifyReply, result: OrderCommandResult): OrderCommandResult {
    reply.header('etag', etag(result.version));
    return result;
  }
}
