import { Query, type PipeTransform } from '@nestjs/common';
import { ApiQuery } from '@nestjs/swagger';
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

export interface ViewRead<T> {
  view: T | undefined;
  cached: boolean;
}

/** The 202 answer: the view is behind the version the client already saw. */
export interface NotYetVisible {
  statusCode: 202;
  message: string;
  details: { currentVersion: number; minVersion: number };
}

/**
 * Read-your-writes (ARCHITECTURE §7): with `minVersion`, re-reads past the cache until the view
 * reaches it or the wait is over. Returns the view, or `behind` for an honest 202.
 *
 * `read(fresh)` reads the view, bypassing the cache when `fresh`.
 */
export async function readAtLeast<T extends { version: number }>(
  read: (fresh: boolean) => Promise<ViewRead<T>>,
  minVersion: number | undefined,
): Promise<ViewRead<T> & { behind?: NotYetVisible }> {
  let answer = await read(false);
  const versionOf = (a: ViewRead<T>) => a.view?.version ?? 0;
  if (minVersion === undefined || versionOf(answer) >= minVersion) return answer;
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
