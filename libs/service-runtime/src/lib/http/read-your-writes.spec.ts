import { BadRequestException, type PipeTransform } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { MinVersion, readAtLeast } from './read-your-writes';

/** The pipe @MinVersion() attaches, as Nest would run it. */
function minVersionPipe(): PipeTransform {
  class Probe {
    handler(@MinVersion() minVersion: number | undefined): number | undefined {
      return minVersion;
    }
  }
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as Record<string, { pipes: PipeTransform[] }>;
  return Object.values(args)[0].pipes[0];
}

describe('@MinVersion()', () => {
  const pipe = minVersionPipe();
  const transform = (value: unknown) => pipe.transform(value, { type: 'query', data: 'minVersion' });

  it('reads a positive integer, and absent as undefined', () => {
    expect(transform('3')).toBe(3);
    expect(transform(undefined)).toBeUndefined();
  });

  it.each(['0', '-1', '1.5', 'abc', '', ['1', '2']])('answers 400 naming the field for %p', (value) => {
    let error: unknown;
    try {
      transform(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BadRequestException);
    expect((error as BadRequestException).getResponse()).toMatchObject({ details: [{ field: 'minVersion' }] });
  });
});

describe('readAtLeast', () => {
  const view = (version: number) => ({ view: { version }, cached: false });

  it('answers from the first read when no version is asked for or it is already there', async () => {
    const read = jest.fn(async () => view(2));
    await expect(readAtLeast(read, undefined)).resolves.toEqual(view(2));
    await expect(readAtLeast(read, 2)).resolves.toEqual(view(2));
    expect(read.mock.calls).toEqual([[false], [false]]);
  });

  it('re-reads past the cache until the view catches up, then reads once through the cache to warm it', async () => {
    const fromDatabase = [1, 1, 3];
    const fromCache = [1, 3];
    const read = jest.fn(async (fresh: boolean) => view((fresh ? fromDatabase : fromCache).shift() ?? 0));
    const answer = await readAtLeast(read, 3);
    expect(answer).toEqual(view(3));
    expect(read.mock.calls.map(([fresh]) => fresh)).toEqual([false, true, true, true, false]);
  });

  it('gives up with an honest 202 when the view stays behind', async () => {
    jest.useFakeTimers();
    try {
      const pending = readAtLeast(async () => view(1), 5);
      await jest.advanceTimersByTimeAsync(2_100);
      await expect(pending).resolves.toMatchObject({ behind: { statusCode: 202, details: { currentVersion: 1, minVersion: 5 } } });
    } finally {
      jest.useRealTimers();
    }
  });
});
