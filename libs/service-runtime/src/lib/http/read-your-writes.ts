import { applyDecorators, createParamDecorator, NotFoundException, type ExecutionContext } from '@nestjs/common';
import { ApiParam, ApiQuery } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ViewRead } from '../cache/query-cache';
import { etag } from './etag';
import { invalidFields, type FieldError } from './validation';

/** How long a GET with ?minVersion= waits for its view before answering 202. */
const WAIT_MS = 2_000;
const RECHECK_MS = 20;

/** What a GET of one view asks for: the view's `:id`, and the version it must have reached. */
export interface ViewRequest {
  id: string;
  minVersion: number | undefined;
}

/** `:id` a UUID, `?minVersion=` absent or a positive integer; the fields that are not, and why. */
function parseViewRequest(params: { id?: unknown }, query: { minVersion?: unknown }): ViewRequest {
  const { id } = params;
  const { minVersion } = query;
  const version = Number(minVersion);
  const invalid: FieldError[] = [];
  if (typeof id !== 'string' || !isUUID(id)) invalid.push({ field: 'id', errors: ['id must be a UUID'] });
  if (minVersion !== undefined && (typeof minVersion !== 'string' || minVersion === '' || !Number.isInteger(version) || version < 1)) {
    invalid.push({ field: 'minVersion', errors: ['minVersion must be an integer not less than 1'] });
  }
  if (invalid.length > 0) throw invalidFields(invalid);
  return { id: id as string, minVersion: minVersion === undefined ? undefined : version };
}

/**
 * The `:id` and `?minVersion=` of a GET of one view, checked in one step (400 naming each bad
 * field). One custom parameter rather than `@Param('id', ParseUUIDPipe)` and a piped
 * `@Query('minVersion')`: Nest runs every piped parameter through a chain of async calls, each
 * of which on Node 20 pays the async context's promise hooks; the second chain cost a cached
 * GET ~5% of its CPU (bench/RESULTS.md, 2026-11-29 sixth session). The global ValidationPipe
 * leaves a custom parameter alone, as it left those two primitives.
 */
export const ViewRequest = createParamDecorator((_: unknown, context: ExecutionContext): ViewRequest => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return parseViewRequest(request.params as { id?: unknown }, request.query as { minVersion?: unknown });
});

/** The OpenAPI entries of `@ViewRequest()`, for the handler. */
export const ApiViewRequest = (): MethodDecorator =>
  applyDecorators(
    ApiParam({ name: 'id', format: 'uuid' }),
    ApiQuery({ name: 'minVersion', required: false, type: Number, description: 'wait (briefly) until the view reflects at least this version: read-your-writes' }),
  );

/** The 202 answer: the view is behind the version the client already saw. */
export interface NotYetVisible {
  statusCode: 202;
  message: string;
  details: { currentVersion: number; minVersion: number };
}

/** What answerView answers: the view, the 202 body, or a cached view's JSON text, sent as is. */
export type ViewAnswer<T> = T | NotYetVisible | string;

/**
 * The answer to a GET of one view (ARCHITECTURE §7): the view, with its version as ETag and
 * X-Cache saying whether the cache served it; a 202 while the read model is behind `minVersion`;
 * a 404 (`notFound`) when there is no such view.
 *
 * `read(fresh)` reads the view, bypassing the cache when `fresh`.
 */
export async function answerView<T extends { version: number }>(
  reply: FastifyReply,
  notFound: string,
  minVersion: number | undefined,
  read: (fresh: boolean) => Promise<ViewRead<T>>,
): Promise<ViewAnswer<T>> {
  const answer = await readAtLeast(read, minVersion);
  if (answer.behind) {
    reply.status(202);
    return answer.behind;
  }
  if (answer.entry) {
    // The cache's JSON is what serializing the view would send (a string is sent as it is).
    reply.header('etag', etag(answer.entry.version)).header('x-cache', 'hit').type('application/json; charset=utf-8');
    return answer.entry.json;
  }
  if (!answer.view) throw new NotFoundException(notFound);
  reply.header('etag', etag(answer.view.version)).header('x-cache', answer.cached ? 'hit' : 'miss');
  return answer.view;
}

/**
 * Read-your-writes (ARCHITECTURE §7): with `minVersion`, re-reads past the cache until the view
 * reaches it or the wait is over. Returns the view, or `behind` for an honest 202.
 */
export function readAtLeast<T extends { version: number }>(
  read: (fresh: boolean) => Promise<ViewRead<T>>,
  minVersion: number | undefined,
): Promise<ViewRead<T> & { behind?: NotYetVisible }> {
  // Not through the wait below when none is asked for: on Node 20 each async call a cached GET
  // makes costs it (see async-context.ts in @causeway/eventsourcing).
  return minVersion === undefined ? read(false) : waitForVersion(read, minVersion);
}

async function waitForVersion<T extends { version: number }>(read: (fresh: boolean) => Promise<ViewRead<T>>, minVersion: number): Promise<ViewRead<T> & { behind?: NotYetVisible }> {
  let answer = await read(false);
  const versionOf = (a: ViewRead<T>) => a.view?.version ?? 0;
  if (versionOf(answer) >= minVersion) return answer;
  const deadline = Date.now() + WAIT_MS;
  while (versionOf(answer) < minVersion && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS));
    answer = await read(true);
  }
  const current = versionOf(answer);
  if (current < minVersion) {
    return { ...answer, behind: { statusCode: 202, message: `not yet visible: the view is at version ${current}, you asked for ${minVersion}; retry`, details: { currentVersion: current, minVersion } } };
  }
  // The waits bypassed the cache; read once through it so the next plain GET is a hit. Its
  // answer is kept only if it is as new (an invalidation may still be on its way).
  const warmed = await read(false);
  return versionOf(warmed) >= minVersion ? warmed : answer;
}
