import { NotFoundException, Query, type PipeTransform } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { ViewRead } from '../cache/query-cache';
import { etag } from './etag';
import { invalidFields } from './validation';

/** How long a GET with ?minVersion= waits for its view before answering 202. */
const WAIT_MS = 2_000;
const RECHECK_MS = 20;

class MinVersionPipe implements PipeTransform<unknown, number | undefined> {
  transform(value: unknown): number | undefined {
    if (value === undefined) return undefined;
    const version = Number(value);
    if (typeof value !== 'string' || value === '' || !Number.isInteger(version) || version < 1) {
      throw invalidFields([{ field: 'minVersion', errors: ['minVersion must be an integer not less than 1'] }]);
    }
    return version;
  }
}

/**
 * `?minVersion=` of a GET: a positive integer, or undefined when absent; a 400 naming the field
 * otherwise. A pipe on one primitive rather than a query DTO, because the global ValidationPipe
 * then leaves the parameter alone: class-transformer + class-validator on every cached GET cost
 * ~23 of its ~100 µs (bench/results-http.md).
 */
export const MinVersion = (): ParameterDecorator => Query('minVersion', new MinVersionPipe());

/** The OpenAPI entry of `@MinVersion()`, for the handler. */
export const ApiMinVersion = (): MethodDecorator =>
  ApiQuery({ name: 'minVersion', required: false, type: Number, description: 'wait (briefly) until the view reflects at least this version: read-your-writes' });

/** The 202 answer: the view is behind the version the client already saw. */
export interface NotYetVisible {
  statusCode: 202;
  message: string;
  details: { currentVersion: number; minVersion: number };
}

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
): Promise<T | NotYetVisible> {
  const { view, cached, behind } = await readAtLeast(read, minVersion);
  if (behind) {
    reply.status(202);
    return behind;
  }
  if (!view) throw new NotFoundException(notFound);
  reply.header('etag', etag(view.version)).header('x-cache', cached ? 'hit' : 'miss');
  return view;
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
