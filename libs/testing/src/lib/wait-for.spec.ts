import { waitFor } from './wait-for';

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let n = 0;
    await expect(waitFor('n to reach 3', () => (++n >= 3 ? n : false), { intervalMs: 1 })).resolves.toBe(3);
  });

  it('fails with the description and the last error after the deadline', async () => {
    await expect(
      waitFor('the impossible', () => {
        throw new Error('still broken');
      }, { timeoutMs: 30, intervalMs: 5 }),
    ).rejects.toThrow(/waiting for the impossible \(last: still broken\)/);
  });
});
