import type { Settings } from '@causeway/config';
import { ACTOR_HEADER, CORRELATION_HEADER, currentContext, errorBody } from '@causeway/service-runtime';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { propagation } from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { errors, Pool, type Dispatcher } from 'undici';
import { GATEWAY_SETTINGS } from '../gateway.tokens';
import { serviceRoutes } from './routes';

/** Every service's answer to one admin GET (ServiceProxy.gather). */
export interface Gathered<T> {
  rejected?: ProxiedResponse;
  items: T[];
  unavailable: string[];
  truncated: string[];
}

export interface ProxiedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Request headers a service may act on; everything else stays at the edge. */
const FORWARDED_REQUEST_HEADERS = ['content-type', 'if-match', 'idempotency-key', 'traceparent', 'tracestate', 'accept'];
/** Response headers clients rely on (ETag for If-Match, Location, a repeated Idempotency-Key, cache diagnostics). */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'etag', 'location', 'idempotent-replayed', 'x-cache', 'retry-after'];

/**
 * Calls the owning service over HTTP with a timeout, carrying the correlation id. A service that
 * does not answer is a 503 (down) or 504 (too slow) with the standard error body, never a 500.
 *
 * undici (the client behind Node's fetch, used directly: one keep-alive Pool per service) rather
 * than node:http or fetch: every request through the gateway pays for this call, and per proxied
 * request node:http's client cost ~1.4x undici's CPU and fetch's WHATWG layer (Headers, streams,
 * AbortSignal) ~4x (bench/results-http.md, bench/RESULTS.md).
 */
@Injectable()
export class ServiceProxy implements OnModuleDestroy {
  private readonly logger = new Logger('ServiceProxy');
  private readonly routes: ReturnType<typeof serviceRoutes>;
  private readonly pools = new Map<string, Pool>();
  /**
   * With tracing on, the propagator writes traceparent/tracestate for the gateway's own span;
   * passing the client's along as well would send two. (Tracing starts before any module loads.)
   */
  private readonly forwardedRequestHeaders = FORWARDED_REQUEST_HEADERS.filter((name) => !propagation.fields().includes(name));

  constructor(@Inject(GATEWAY_SETTINGS) private readonly settings: Settings) {
    this.routes = serviceRoutes(settings);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
  }

  get prefixes(): string[] {
    return Object.keys(this.routes);
  }

  serviceOf(prefix: string): string {
    return this.routes[prefix].service;
  }

  /**
   * GET `pathAndQuery` of every service, for admin views that merge their `{ items }`: a service
   * that does not answer is listed under `unavailable` rather than failing the whole answer, one
   * that had more than it sent (`truncated`) under `truncated`; a 4xx from any (the request is
   * wrong) is the answer.
   */
  async gather<T>(pathAndQuery: string, headers: Record<string, string | string[] | undefined>): Promise<Gathered<T>> {
    const answers = await Promise.all(this.prefixes.map(async (prefix) => ({ prefix, response: await this.forward(prefix, 'GET', pathAndQuery, headers, undefined) })));
    const rejected = answers.find((a) => a.response.status >= 400 && a.response.status < 500)?.response;
    const items: T[] = [];
    const unavailable: string[] = [];
    const truncated: string[] = [];
    for (const { prefix, response } of answers) {
      if (response.status !== 200) {
        unavailable.push(this.serviceOf(prefix));
        continue;
      }
      const answer = JSON.parse(response.body) as { items: T[]; truncated?: boolean };
      items.push(...answer.items);
      if (answer.truncated) truncated.push(this.serviceOf(prefix));
    }
    return { rejected, items, unavailable, truncated };
  }

  async forward(prefix: string, method: string, pathAndQuery: string, headers: Record<string, string | string[] | undefined>, body: unknown): Promise<ProxiedResponse> {
    const route = this.routes[prefix];
    const context = currentContext();
    const outgoing: Record<string, string> = {};
    for (const name of this.forwardedRequestHeaders) {
      const value = headers[name];
      if (value !== undefined) outgoing[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (context) {
      outgoing[CORRELATION_HEADER] = context.correlationId;
      outgoing[ACTOR_HEADER] = context.actor;
    }
    const payload = body !== undefined && method !== 'GET' && method !== 'HEAD' ? JSON.stringify(body) : undefined;
    if (payload !== undefined) outgoing['content-type'] = 'application/json';
    try {
      const response = await this.exchange(route.url, { path: pathAndQuery, method: method as Dispatcher.HttpMethod, headers: outgoing, body: payload });
      const forwarded: Record<string, string> = {};
      for (const name of FORWARDED_RESPONSE_HEADERS) {
        const raw = response.headers[name];
        const value = Array.isArray(raw) ? raw.join(', ') : raw;
        if (value !== undefined) forwarded[name] = name === 'location' && value.startsWith('/') ? `/api${value}` : value;
      }
      return { status: response.statusCode, headers: forwarded, body: response.body };
    } catch (error) {
      const timedOut = error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError;
      this.logger.warn(`${route.service} ${method} ${pathAndQuery}: ${timedOut ? 'timed out' : (error as Error).message}`);
      const failure = timedOut
        ? errorBody(504, `${route.service} did not answer within ${this.settings.http.request_timeout} ms`)
        : errorBody(503, `${route.service} is unavailable`);
      return { status: failure.statusCode, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(failure) };
    }
  }

  /**
   * One request and its whole answer, through undici's handler API: the answers here are small
   * JSON documents wanted whole, and `request()`'s body stream, read by `text()`, made ~12 more
   * promises and ticks per proxied request, each paying the async context's promise hooks.
   */
  private exchange(origin: string, options: Dispatcher.DispatchOptions): Promise<{ statusCode: number; headers: IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      let statusCode = 0;
      let headers: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      this.pool(origin).dispatch(options, {
        onRequestStart: () => undefined, // marks the handler API undici speaks to (it also has a deprecated one)
        onResponseStart: (_controller, status, responseHeaders) => {
          statusCode = status;
          headers = responseHeaders;
        },
        onResponseData: (_controller, chunk) => void chunks.push(chunk),
        onResponseEnd: () => resolve({ statusCode, headers, body: Buffer.concat(chunks).toString('utf8') }),
        onResponseError: (_controller, error) => reject(error),
      });
    });
  }

  /**
   * The keep-alive pool of one service. The timeout bounds the wait for the response head and
   * then each pause in its body (a proxy's read timeout), so a service that hangs is a 504.
   * undici checks these on a coarse clock, so the 504 comes up to ~1 s late; an exact deadline
   * per request (an AbortSignal with its timer) cost 10-25 µs of the gateway's CPU per request.
   */
  private pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      const timeout = this.settings.http.request_timeout;
      pool = new Pool(origin, { headersTimeout: timeout, bodyTimeout: timeout });
      this.pools.set(origin, pool);
    }
    return pool;
  }
}
