import { uuidV5 } from './deterministic-id';

describe('uuidV5', () => {
  it('matches the RFC 9562 test vector (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is stable per name and differs per namespace', () => {
    const ns = '5b6f4c1e-2d0a-4c53-9e2b-7a3f1d8c9e40';
    expect(uuidV5('a', ns)).toBe(uuidV5('a', ns));
    expect(uuidV5('a', ns)).not.toBe(uuidV5('a', '0c6f8f3a-8d57-4f0e-a7f4-2b9e6c1d3a58'));
    expect(() => uuidV5('a', 'nope')).toThrow(/not a UUID/);
  });
});
