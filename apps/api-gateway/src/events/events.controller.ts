import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminGuard } from '../admin/admin.guard';
import { sendMerged } from '../admin/merged-answer';
import { ServiceProxy } from '../proxy/service-proxy';

interface InspectedEvent {
  timestamp: string;
  position: string;
  service: string;
}

/**
 * GET /api/events?aggregateId=|correlationId=|type= — every service's stored events matching the
 * filter, merged in time order: one order's whole saga by its correlation id. A service that does
 * not answer is listed under `unavailable` instead of failing the whole answer; one that has more
 * matches than `limit` (each sends its oldest) under `truncated`.
 *
 * Admin only (ARCHITECTURE §7, AdminGuard): it shows every stored event, personal data included.
 */
@ApiExcludeController()
@Controller('api/events')
@UseGuards(AdminGuard)
export class EventsController {
  constructor(private readonly proxy: ServiceProxy) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const gathered = await this.proxy.gather<InspectedEvent>(request.url.slice('/api'.length), request.headers);
    await sendMerged(reply, gathered, (a, b) => a.timestamp.localeCompare(b.timestamp) || a.service.localeCompare(b.service) || Number(BigInt(a.position) - BigInt(b.position)));
  }
}
