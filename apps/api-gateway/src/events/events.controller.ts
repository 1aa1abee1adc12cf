import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceProxy } from '../proxy/service-proxy';

interface InspectedEvent {
  timestamp: string;
  position: string;
  service: string;
}

/**
 * GET /api/events?aggregateId=|correlationId=|type= — every service's stored events matching the
 * filter, merged in time order: one order's whole saga by its correlation id. A service that does
 * not answer is listed under `unavailable` instead of failing the whole answer.
 */
@ApiExcludeController()
@Controller('api/events')
export class EventsController {
  constructor(private readonly proxy: ServiceProxy) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const pathAndQuery = request.url.slice('/api'.length);
    const answers = await Promise.all(this.proxy.prefixes.map(async (prefix) => ({ prefix, response: await this.proxy.forward(prefix, 'GET', pathAndQuery, request.headers, undefined) })));
    const rejected = answers.find((a) => a.response.status >= 400 && a.response.status < 500);
    if (rejected) {
      await reply.status(rejected.response.status).headers(rejected.response.headers).send(rejected.response.body);
      return;
    }
    const items: InspectedEvent[] = [];
    const unavailable: string[] = [];
    for (const { prefix, response } of answers) {
      if (response.status === 200) items.push(...(JSON.parse(response.body) as { items: InspectedEvent[] }).items);
      else unavailable.push(this.proxy.serviceOf(prefix));
    }
    items.sort((a, b) => a.timestamp.localeCompare(b.timestamp) || a.service.localeCompare(b.service) || Number(BigInt(a.position) - BigInt(b.position)));
    await reply.status(200).send({ items, ...(unavailable.length ? { unavailable } : {}) });
  }
}
