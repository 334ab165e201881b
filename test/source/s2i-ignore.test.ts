import { globToRegex, isIgnored, parseS2iIgnore } from '../../src/source/s2i-ignore.js';

/** The paths of `tree` (directories end in `/`) that a `.s2iignore` with `lines` leaves out. */
function ignoredOf(lines: string[], tree: string[]): string[] {
  const ignore = parseS2iIgnore(lines.join('\n'));
  expect(ignore.problems).toEqual([]);
  return tree.filter((entry) => isIgnored(ignore, entry.replace(/\/$/, ''), entry.endsWith('/')));
}

describe('source/s2i-ignore', () => {
  describe("s2i's own cases (pkg/ignore tests)", () => {
    it.each<[string, string[], string[], string[]]>([
      ['a single file', ['foo.bar'], ['foo.bar'], ['bar.foo']],
      ['a wildcard', ['foo.*'], ['foo.a', 'foo.b'], ['bar.a']],
      ['an exclusion after a wildcard keeps the file', ['foo.*', '!foo.a'], ['foo.b'], ['foo.a']],
      ['a pattern with a directory part', ['*/foo.a'], ['asdf/foo.a'], ['foo.a']],
      ['a later pattern overrides an exclusion (Docker user guide)', ['LICENCSE.*', '!LICENCSE.md', '*.md'], ['LICENCSE.foo', 'LICENCSE.md'], ['foo.bar']],
      ['an exclusion with a wildcard', ['*.bar', '!foo.*'], ['boo.bar', 'bar.bar'], ['foo.bar']],
      ['an exclusion before the pattern is hopeless', ['!LICENSE.md', 'LICENSE.*'], ['LICENSE.md'], []],
    ])('%s', (_title, lines, ignored, kept) => {
      expect(ignoredOf(lines, [...ignored, ...kept])).toEqual(ignored);
    });
  });

  it.each<[string, string[], string[], string[]]>([
    ['* does not cross a slash: rules are not recursive', ['*.log'], ['debug.log'], ['logs/debug.log']],
    ['a directory takes everything under it', ['node_modules'], ['node_modules/', 'node_modules/a/index.js'], ['src/node_modules.md']],
    ['an exclusion cannot bring back a file of an ignored directory (s2i removes the directory)', ['docs', '!docs/keep.md'], ['docs/', 'docs/keep.md'], []],
    ['a leading / or ./ is the source root', ['/tmp', './build'], ['tmp/', 'tmp/x', 'build/'], ['src/tmp', 'src/build']],
    ['a trailing / matches directories only', ['cache/'], ['cache/', 'cache/x'], ['src/cache']],
    ['? matches one character but not /', ['a?c'], ['abc'], ['a/c', 'abbc']],
    ['character classes and ranges', ['[a-c]x', '[^0-9]y'], ['ax', 'cx', 'zy'], ['dx', '1y']],
    ['escapes make specials literal', ['\\*.txt', 'x\\?'], ['*.txt', 'x?'], ['a.txt', 'xy']],
    ['comments, blank lines and surrounding spaces are skipped', ['# *', '', '  secret.env  ', '\t'], ['secret.env'], ['main.js']],
    ['everything', ['*'], ['a', 'b/', 'b/c', '.s2iignore', '.s2i/'], []],
    ['dot files are matched like any other', ['.*'], ['.env', '.git/'], ['a.env']],
  ])('%s', (_title, lines, ignored, kept) => {
    expect(ignoredOf(lines, [...ignored, ...kept])).toEqual(ignored);
  });

  it('reads CRLF files', () => {
    expect(ignoredOf(['tmp\r', 'logs\r'], ['tmp', 'logs', 'src'])).toEqual(['tmp', 'logs']);
  });

  it.each<[string, string]>([
    ['[abc', '"[abc" is not a valid pattern: unfinished character class'],
    ['[]', '"[]" is not a valid pattern: unfinished character class'],
    ['a\\', '"a\\" is not a valid pattern: a \\ at the end'],
    ['[-a]', '"[-a]" is not a valid pattern: unfinished character class'],
    ['/', '"/" matches nothing; write a path or a pattern'],
  ])('reports the malformed pattern %j with its line, where s2i would silently ignore it', (pattern, message) => {
    const ignore = parseS2iIgnore(`ok\n${pattern}\n`);

    expect(ignore.problems).toEqual([{ line: 2, message }]);
    expect(ignore.rules.map((rule) => rule.pattern)).toEqual(['ok']);
  });

  it.each<[string, string, boolean]>([
    ['*', 'file.txt', true],
    ['*', 'dir/file.txt', false],
    ['*.[ch]', 'main.c', true],
    ['*.[ch]', 'main.o', false],
    ['[z-a]', 'm', false],
    ['[^z-a]', 'm', true],
    ['a.b', 'aXb', false],
    ['(x)+', '(x)+', true],
    ['ünï*', 'ünïcode', true],
  ])("matches like Go's filepath.Match: %j against %j is %s", (pattern, path, expected) => {
    expect(globToRegex(pattern).test(path)).toBe(expected);
  });
});
