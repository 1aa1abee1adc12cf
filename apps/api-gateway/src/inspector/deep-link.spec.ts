import { eventsQuery, parseSearchHash, searchHash, SEARCH_KINDS } from './browser/deep-link.js';

describe('the inspector’s deep link (/inspector#correlationId=…)', () => {
  it('reads a search from the fragment pasted from a log line', () => {
    expect(parseSearchHash('#correlationId=saga-e2e-3f1c2d7e')).toEqual({ kind: 'correlationId', value: 'saga-e2e-3f1c2d7e' });
    expect(parseSearchHash('aggregateId=3f1c2d7e-0000-4c36-9f5b-0a9c7a4f5d11')).toEqual({ kind: 'aggregateId', value: '3f1c2d7e-0000-4c36-9f5b-0a9c7a4f5d11' });
    expect(parseSearchHash('#type=OrderPlaced')).toEqual({ kind: 'type', value: 'OrderPlaced' });
  });

  it('takes a + as a plus, decodes escapes, keeps a value’s own = and trims pasted whitespace', () => {
    expect(parseSearchHash('#correlationId=a+b%20c%3Dd=e')).toEqual({ kind: 'correlationId', value: 'a+b c=d=e' });
    expect(parseSearchHash('#correlationId=%20abc%0A')).toEqual({ kind: 'correlationId', value: 'abc' });
  });

  it.each([[''], ['#'], ['#correlationId'], ['#correlationId='], ['#correlationId=%20'], ['#userId=1'], ['#constructor=x'], ['#correlationId=%E0%A4%A']])('finds no search in %p', (hash) => {
    expect(parseSearchHash(hash)).toBeUndefined();
  });

  it('writes a fragment that reads back as the same search, for every kind and awkward value', () => {
    for (const kind of SEARCH_KINDS) {
      for (const value of ['plain', 'a+b c', 'x#y&z=w', 'ünïcødé/✓', '100%']) {
        const hash = searchHash({ kind, value });
        expect(hash).toMatch(/^#[A-Za-z]+=[^#\s]*$/);
        expect(parseSearchHash(hash)).toEqual({ kind, value });
      }
    }
  });

  it('asks GET /api/events for the one filter and the limit, encoded', () => {
    expect(new URLSearchParams(eventsQuery({ kind: 'correlationId', value: 'a+b&type=X' }, 500))).toEqual(new URLSearchParams({ correlationId: 'a+b&type=X', limit: '500' }));
    expect(eventsQuery({ kind: 'type', value: 'OrderPlaced' }, 200)).toBe('type=OrderPlaced&limit=200');
  });
});
