import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceProxy } from './service-proxy';

/**
 * /api/<resource>/… → the owning service's /<resource>/…. Validation, business rules and their
 * error bodies come from the service; the gateway adds the edge concerns: body limit, malformed
 * JSON, correlation id (createHttpApp's hooks, which run for these routes too), timeouts,
 * unavailability.
 *
 * Fastify routes rather than a Nest controller: a proxied request has no parameters to pipe,
 * nothing to guard or intercept, and Nest's router would wrap it in async calls that on Node 20
 * each pay the async context's promise hooks: ~8% of the gateway's CPU per request
 * (bench/RESULTS.md, 2026-11-29 sixth session).
 */
@Injectable()
export class ProxyRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly proxy: ServiceProxy,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    const forward = (request: FastifyRequest, reply: FastifyReply) => this.forward(request, reply);
    for (const prefix of this.proxy.prefixes) {
      fastify.all(`/api/${prefix}`, forward);
      fastify.all(`/api/${prefix}/*`, forward);
    }
  }

  private async forward(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const pathAndQuery = request.url.slice('/api'.length);
    const prefix = pathAndQuery.split(/[/?]/)[1];
    const response = await this.proxy.forward(prefix, request.method, pathAndQuery, request.headers, request.body);
    return reply.status(response.status).headers(response.headers).send(response.body);
  }
}
