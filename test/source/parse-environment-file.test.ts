import { parseEnvironmentFile } from '../../src/source/parse-environment-file.js';

describe('source/parse-environment-file', () => {
  it('reads KEY=VALUE lines and skips comments and blank lines', () => {
    const text = '# comment\n\nA=1\n  B = two \n   # indented comment\nC=\n';

    const parsed = parseEnvironmentFile(text);

    expect(parsed).toEqual({ variables: { A: '1', B: ' two', C: '' }, problems: [] });
  });

  it('takes the value literally after the first =, without quote removal or expansion', () => {
    const text = 'URL=https://x.example/?a=b&c=d\nQUOTED="keep quotes"\nREF=$HOME/bin\nHASH=a#b';

    const parsed = parseEnvironmentFile(text);

    expect(parsed.variables).toEqual({
      URL: 'https://x.example/?a=b&c=d',
      QUOTED: '"keep quotes"',
      REF: '$HOME/bin',
      HASH: 'a#b',
    });
  });

  it('accepts CRLF line endings', () => {
    const parsed = parseEnvironmentFile('A=1\r\nB=2\r\n');

    expect(parsed).toEqual({ variables: { A: '1', B: '2' }, problems: [] });
  });

  it('lets a later line override an earlier one', () => {
    const parsed = parseEnvironmentFile('A=1\nA=2');

    expect(parsed.variables).toEqual({ A: '2' });
  });

  it('accepts shell variable names with underscores and digits', () => {
    const parsed = parseEnvironmentFile('_X=1\nabc_9=2\nNPM_CONFIG_REGISTRY=r');

    expect(Object.keys(parsed.variables)).toEqual(['_X', 'abc_9', 'NPM_CONFIG_REGISTRY']);
    expect(parsed.problems).toEqual([]);
  });

  it('reports lines without = or with an invalid name, with 1-based line numbers, and keeps the good lines', () => {
    const text = ['GOOD=1', 'no equals sign', '1ABC=x', 'WITH-DASH=x', '=empty key', 'export FOO=bar', 'OK=2'].join('\n');

    const parsed = parseEnvironmentFile(text);

    expect(parsed.variables).toEqual({ GOOD: '1', OK: '2' });
    expect(parsed.problems).toEqual([
      { line: 2, message: 'expected KEY=VALUE with a shell variable name as KEY, got "no equals sign"' },
      { line: 3, message: 'expected KEY=VALUE with a shell variable name as KEY, got "1ABC=x"' },
      { line: 4, message: 'expected KEY=VALUE with a shell variable name as KEY, got "WITH-DASH=x"' },
      { line: 5, message: 'expected KEY=VALUE with a shell variable name as KEY, got "=empty key"' },
      { line: 6, message: 'expected KEY=VALUE with a shell variable name as KEY, got "export FOO=bar"' },
    ]);
  });

  it('shortens a long offending line in the problem message', () => {
    const long = `not valid ${'x'.repeat(100)}`;

    const [problem] = parseEnvironmentFile(long).problems;

    expect(problem.message).toBe(`expected KEY=VALUE with a shell variable name as KEY, got "${long.slice(0, 57)}..."`);
  });

  it('gives nothing for an empty file', () => {
    const parsed = parseEnvironmentFile('');

    expect(parsed).toEqual({ variables: {}, problems: [] });
  });
});
