import { BadRequestException, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { readAtLeast, ViewRequest } from './read-your-writes';

/** The factory @ViewRequest() attaches, as Nest would call it for a request. */
function viewRequestOf(params: Record<string, unknown>, query: Record<string, unknown>): unknown {
  class Probe {
    handler(@ViewRequest() request: ViewRequest): ViewRequest {
      return request;
    }
  }
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as Record<string, { factory: (data: unknown, context: ExecutionContext) => unknown }>;
  const context = { switchToHttp: () => ({ getRequest: () => ({ params, query }) }) } as unknown as ExecutionContext;
  return Object.values(args)[0].factory(undefined, context);
}

const id = '7a1f2c3e-1111-4c36-9f5b-0a9c7a4f5d11';

/** The fields a 400 names for the request, or undefined when it is accepted. */
function invalidFieldsOf(params: Record<string, unknown>, query: Record<string, unknown>): string[] | undefined {
  try {
    viewRequestOf(params, query);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return ((error as BadRequestException).getResponse() as { details: { field: string }[] }).details.map((d) => d.field);
  }
}

describe('@ViewRequest()', () => {
  it('reads the id and a positive integer minVersion, absent as undefined', () => {
    expect(viewRequestOf({ id }, { minVersion: '3' })).toEqual({ id, minVersion: 3 });
    expect(viewRequestOf({ id }, {})).toEqual({ id, minVersion: undefined });
  });

  it.each(['0', '-1', '1.5', 'abc', '', ['1', '2']])('answers 400 naming minVersion for %p', (minVersion) => {
    expect(invalidFieldsOf({ id }, { minVersion })).toEqual(['minVersion']);
  });

  it('answers 400 naming id when it is not a UUID, and every bad field at once', () => {
    expect(invalidFieldsOf({ id: 'not-a-uuid' }, {})).toEqual(['id']);
    expect(invalidFieldsOf({ id: `${id}x` }, {})).toEqual(['id']);
    expect(invalidFieldsOf({ id: 'not-a-uuid' }, { minVersion: '0' })).toEqual(['id', 'minVersion']);
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
