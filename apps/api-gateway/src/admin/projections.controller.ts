import { Controller, Get, NotFoundException, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceProxy } from '../proxy/service-proxy';
import { AdminGuard } from './admin.guard';
import { sendMerged } from './merged-answer';

/**
 * The services' projections for operators (and the `causeway` CLI), admin only:
 * GET /api/admin/projections — every service's, with checkpoint, lag and any rebuild under way
 * (a service that does not answer under `unavailable`);
 * POST /api/admin/projections/:service/:name/rebuild — that service rebuilds one from its log (202).
 */
@ApiExcludeController()
@Controller('api/admin/projections')
@UseGuards(AdminGuard)
export class ProjectionsController {
  constructor(private readonly proxy: ServiceProxy) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const gathered = await this.proxy.gather<{ service: string; name: string }>('/admin/projections', request.headers);
    await sendMerged(reply, gathered, (a, b) => a.service.localeCompare(b.service) || a.name.localeCompare(b.name));
  }

  @Post(':service/:name/rebuild')
  async rebuild(@Param('service') service: string, @Param('name') name: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const prefix = this.proxy.prefixes.find((p) => this.proxy.serviceOf(p) === service);
    if (!prefix) throw new NotFoundException(`no service ${service} (there are: ${this.proxy.prefixes.map((p) => this.proxy.serviceOf(p)).join(', ')})`);
    const response = await this.proxy.forward(prefix, 'POST', `/admin/projections/${encodeURIComponent(name)}/rebuild`, request.headers, {});
    await reply.status(response.status).headers(response.headers).send(response.body);
  }
}
