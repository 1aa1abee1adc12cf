import type { Settings } from '@causeway/config';
import { Controller, Get, Inject, Req, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GATEWAY_SETTINGS } from '../gateway.tokens';
import { ServiceProxy } from '../proxy/service-proxy';

const digest = (value: string) => createHash('sha256').update(value).digest();

interface InspectedEvent {
  timestamp: string;
  position: string;
  service: string;
}

/**
 * GET /api/events?aggregateId=|correlationId=|type= — every service's stored events matching the
 * filter, merged in time order: one order's whole saga by its correlation id. A service that does
 * not answer is listed under `unavailable` instead of failing the whole answer.
 *
 * Admin only (ARCHITECTURE §7): it shows every stored event, personal data included. Callers send
 * `Authorization: Bearer <http.admin_token>`; anything else is a 401.
 */
@ApiExcludeController()
@Controller('api/events')
export class EventsController {
  private readonly adminToken: Buffer;

  constructor(
    private readonly proxy: ServiceProxy,
    @Inject(GATEWAY_SETTINGS) settings: Settings,
  ) {
    this.adminToken = digest(`Bearer ${settings.http.admin_token}`);
  }

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Compared as fixed-length digests in constant time: the answer says nothing about how close a guess was.
    if (!timingSafeEqual(digest(request.headers.authorization ?? ''), this.adminToken)) {
      throw new UnauthorizedException('GET /api/events is for administrators: send Authorization: Bearer <admin token>');
    }
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
