import { All, Controller, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ServiceProxy } from './service-proxy';

/**
 * /api/<resource>/… → the owning service's /<resource>/…. Validation, business rules and their
 * error bodies come from the service; the gateway adds the edge concerns: body limit, malformed
 * JSON, correlation id, timeouts, unavailability.
 */
@ApiExcludeController()
@Controller('api')
export class ProxyController {
  constructor(private readonly proxy: ServiceProxy) {}

  @All(['users', 'users/*', 'orders', 'orders/*', 'payments', 'payments/*', 'notifications', 'notifications/*'])
  async forward(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const pathAndQuery = request.url.slice('/api'.length);
    const prefix = pathAndQuery.split(/[/?]/)[1];
    const response = await this.proxy.forward(prefix, request.method, pathAndQuery, request.headers, request.body);
    await reply.status(response.status).headers(response.headers).send(response.body);
  }
}
