import { describePin, parsePin, renderPin, type Pin } from '../../src/gitops/pin.js';

const PIN: Pin = { environment: 'production', repo: 'acme/hello', sha: '1234567'.padEnd(40, '0'), image: 'registry.example.com/acme/hello@sha256:ab', by: 'ada', at: '2026-11-27T10:00:00.000Z', reason: 'rollback' };

describe('gitops/pin', () => {
  it('writes a file that explains itself and reads back the same pin', () => {
    const text = renderPin(PIN);

    expect(text.split('\n').slice(0, 2)).toEqual([
      '# production of acme/hello is pinned by s2i-bot: pushes are built but not deployed here.',
      '# Comment "/s2i unpin production" on acme/hello to deploy again (or delete this file).',
    ]);
    expect(parsePin(text)).toEqual(PIN);
  });

  it('keeps an all-digit commit a string', () => {
    expect(parsePin(renderPin({ ...PIN, sha: '1'.repeat(40) })).sha).toBe('1'.repeat(40));
  });

  it.each([
    ['not YAML', ': : :'],
    ['a list', '- a\n'],
    ['empty', ''],
    ['fields of the wrong type', 'sha: [1]\nby: {}\n'],
  ])('reads %s as a pin with no fields (the file is the pin)', (_name, text) => {
    expect(parsePin(text)).toEqual({});
  });

  it('describes a pin in one line, with what is known', () => {
    expect(describePin(PIN)).toBe('pinned to 1234567 by @ada (rollback)');
    expect(describePin({})).toBe('pinned');
  });
});
