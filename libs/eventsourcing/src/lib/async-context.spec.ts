import { context, trace } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { asyncContextKey, runWithValue, valueOf } from './async-context';

const A = asyncContextKey('test.a');
const B = asyncContextKey('test.b');

describe('async context', () => {
  it('follows the work through awaits, timers and callbacks, each run apart from the others', async () => {
    const seen = await Promise.all(
      ['one', 'two'].map((value) =>
        runWithValue(A, value, async () => {
          await sleep(5);
          const fromTimer = await new Promise((resolve) => setTimeout(() => resolve(valueOf(A)), 1));
          const fromTick = await new Promise((resolve) => process.nextTick(() => resolve(valueOf(A))));
          return [valueOf(A), fromTimer, fromTick];
        }),
      ),
    );
    expect(seen).toEqual([
      ['one', 'one', 'one'],
      ['two', 'two', 'two'],
    ]);
    expect(valueOf(A)).toBeUndefined();
  });

  it('keeps the outer values inside a nested run, and restores them after it', async () => {
    await runWithValue(A, 'outer', async () => {
      await runWithValue(B, 'inner', async () => {
        await sleep(1);
        expect([valueOf(A), valueOf(B)]).toEqual(['outer', 'inner']);
      });
      await runWithValue(A, 'shadowed', async () => expect(valueOf(A)).toBe('shadowed'));
      expect([valueOf(A), valueOf(B)]).toEqual(['outer', undefined]);
    });
  });

  it('is OpenTelemetry’s context: the active span and these values travel together', async () => {
    const span = trace.wrapSpanContext({ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 });
    await runWithValue(A, 'with-span', () =>
      context.with(trace.setSpan(context.active(), span), async () => {
        await sleep(1);
        expect(trace.getActiveSpan()?.spanContext().traceId).toBe('c'.repeat(32));
        expect(valueOf(A)).toBe('with-span');
      }),
    );
  });
});
