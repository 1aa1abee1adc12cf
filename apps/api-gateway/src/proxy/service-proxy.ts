import type { Settings } from '@causeway/config';
import { ACTOR_HEADER, CORRELATION_HEADER, currentContext, errorBody } from '@causeway/service-runtime';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { GATEWAY_SETTINGS } from '../gateway.tokens';
import { serviceRoutes } from './routes';

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Request headers a service may act on; everything else stays at the edge. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'if-match', 'traceparent', 'tracestate', 'accept'];
/** Response headers clients rely on (ETag for If-Match, Location, cache diagnostics). */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'etag', 'location', 'x-cache', 'retry-after'];

/**
 * Calls the owning service over HTTP with a timeout, carrying the correlation id. A service that
 * does not answer is a 503 (down) or 504 (too slow) with the standard error body, never a 500.
 */
@Injectable()
export class ServiceProxy {
  private readonly logger = new Logger('ServiceProxy');
  private readonly routes: ReturnType<typeof serviceRoutes>;

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: Settings) {
    this.routes = serviceRoutes(settings);
  }

  get prefixes(): string[] {
    return Object.keys(this.routes);
  }

  serviceOf(prefix: string): string {
    return this.routes[prefix].service;
  }

  async forward(prefix: string, method: string, pathAndQuery: string, headers: Record<string, string | string[] | undefined>, body: unknown): Promise<ProxiedResponse> {
    const route = this.routes[prefix];
    const context = currentContext();
    const outgoing: Record<string, string> = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = headers[name];
      if (value !== undefined) outgoing[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (context) {
      outgoing[CORRELATION_HEADER] = context.correlationId;
      outgoing[ACTOR_HEADER] = context.actor;
    }
    const hasBody = body !== undefined && method !== 'GET' && method !== 'HEAD';
    if (hasBody) outgoing['content-type'] = 'application/json';
    try {
      const response = await fetch(`${route.url}${pathAndQuery}`, {
        method,
        headers: outgoing,
        body: hasBody ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.settings.http.request_timeout),
      });
      const forwarded: Record<string, string> = {};
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) forwarded[name] = name === 'location' && value.startsWith('/') ? `/api${value}` : value;
      }
      return { status: response.status, headers: forwarded, body: await response.text() };
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      this.logger.warn(`${route.service} ${method} ${pathAndQuery}: ${timedOut ? 'timed out' : (error as Error).message}`);
      const failure = timedOut
        ? errorBody(504, `${route.service} did not answer within ${this.settings.http.request_timeout} ms`)
        : errorBody(503, `${route.service} is unavailable`);
      return { status: failure.statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(failure) };
    }
  }
}
