import { jest } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import type { Headers } from 'tar-stream';
import type { PreparedSource, PrepareSourceOptions } from '../../src/source/prepare-source.js';
import { byName, dir, file, hardlink, names, readTarFile, symlink, tarOf, type FixtureEntry, type TarEntry } from './tar-fixtures.js';

// prepareSource spools into os.tmpdir(); a private directory lets the tests see what it leaves behind.
const spoolRoot = mkdtempSync(join(os.tmpdir(), 's2i-bot-prepare-source-test-'));
jest.unstable_mockModule('node:os', () => ({ ...os, tmpdir: () => spoolRoot }));
const { prepareSource, SourceError, formatBytes, SCRIPT_NAMES } = await import('../../src/source/prepare-source.js');

const DEFAULTS: PrepareSourceOptions = { stripComponents: 0, contextDir: '', maxBytes: 1024 * 1024 };
const prepared: PreparedSource[] = [];

async function prepare(entries: FixtureEntry[], options: Partial<PrepareSourceOptions> = {}) {
  const source = await prepareSource(tarOf(entries), { ...DEFAULTS, ...options });
  prepared.push(source);
  return { source, output: await readTarFile(source.tarPath) };
}

function spooled(): string[] {
  return readdirSync(spoolRoot);
}

function droppedPaths(source: PreparedSource): string[] {
  return source.dropped.map((entry) => entry.path);
}

/**
 * Replays the output the way a tar extractor does (later entries replace earlier ones, paths are followed
 * through symlinks already on disk, hard links to symlinks copy the symlink) and fails when anything lands or
 * points outside `src/` (or `scripts/` for the scripts).
 */
function expectNothingEscapes(entries: TarEntry[]): void {
  const links = new Map<string, string>();
  const resolve = (path: string, followLast: boolean, depth = 0): string[] | undefined => {
    if (depth > 40) throw new Error(`symlink loop at ${path}`);
    const parts = path.split('/').filter((part) => part !== '' && part !== '.');
    let current: string[] = [];
    for (let index = 0; index < parts.length; index += 1) {
      if (parts[index] === '..') {
        if (current.length === 0) return undefined;
        current.pop();
        continue;
      }
      current.push(parts[index]);
      const target = links.get(current.join('/'));
      if (target === undefined || (index === parts.length - 1 && !followLast)) continue;
      if (target.startsWith('/')) return undefined;
      const resolved = resolve([...current.slice(0, -1), target].join('/'), true, depth + 1);
      if (resolved === undefined) return undefined;
      current = resolved;
    }
    return current;
  };
  const inside = (path: string[] | undefined, roots: string[]) => path !== undefined && path.length > 0 && roots.includes(path[0]);
  const where = (name: string) => {
    const trimmed = name.replace(/\/+$/, '');
    const parent = resolve(posix.dirname(trimmed), true);
    return parent === undefined ? undefined : [...parent, posix.basename(trimmed)];
  };

  for (const { header } of entries) {
    const location = where(header.name);
    expect({ entry: header.name, inside: inside(location, ['src', 'scripts']) }).toEqual({ entry: header.name, inside: true });
    const key = (location ?? []).join('/');
    for (const existing of [...links.keys()]) if (existing === key || existing.startsWith(`${key}/`)) links.delete(existing);
    if (header.type === 'symlink') links.set(key, header.linkname ?? '');
    if (header.type === 'link') {
      const target = where(header.linkname ?? '');
      expect({ entry: header.name, target: header.linkname, inside: inside(target, ['src']) }).toEqual({
        entry: header.name,
        target: header.linkname,
        inside: true,
      });
      const copied = links.get((target ?? []).join('/'));
      if (copied !== undefined) links.set(key, copied);
    }
  }
  for (const link of links.keys()) {
    expect({ link, inside: inside(resolve(link, true), ['src']) }).toEqual({ link, inside: true });
  }
}

afterEach(async () => {
  for (const source of prepared.splice(0)) await source.dispose();
  // Whatever a failed test left behind must not fail the next one's spool checks.
  for (const leftover of spooled()) rmSync(join(spoolRoot, leftover), { recursive: true, force: true });
});

afterAll(() => {
  rmSync(spoolRoot, { recursive: true, force: true });
});

describe('source/prepare-source', () => {
  it('puts the files under src/ with their content, and counts files and bytes', async () => {
    const entries = [dir('app/'), file('app/index.js', 'console.log(1);\n'), file('README.md', '# hello\n')];

    const { source, output } = await prepare(entries);

    expect(names(output)).toEqual(['src/', 'src/app/', 'src/app/index.js', 'src/README.md']);
    expect(byName(output, 'src/app/index.js').content.toString()).toBe('console.log(1);\n');
    expect(byName(output, 'src/README.md').content.toString()).toBe('# hello\n');
    expect(source.fileCount).toBe(2);
    expect(source.bytes).toBe(16 + 8);
    expect(source.scripts).toEqual([]);
    expect(source.environment).toEqual({});
    expect(source.environmentProblems).toEqual([]);
    expect(source.dropped).toEqual([]);
  });

  it('drops ../ traversal and absolute entries and reports each one', async () => {
    const entries = [
      file('../evil.sh', 'x'),
      file('a/../../evil2.sh', 'x'),
      file('/etc/cron.d/evil', 'x'),
      dir('../outside/'),
      file('./ok.txt', 'ok'),
      file('a/../fine.txt', 'fine'),
    ];

    const { source, output } = await prepare(entries);

    expect(names(output)).toEqual(['src/', 'src/ok.txt', 'src/fine.txt']);
    expect(source.dropped).toEqual([
      { path: '../evil.sh', reason: expect.stringMatching(/leaves the source tree/) },
      { path: 'a/../../evil2.sh', reason: expect.stringMatching(/leaves the source tree/) },
      { path: '/etc/cron.d/evil', reason: expect.stringMatching(/leaves the source tree/) },
      { path: '../outside/', reason: expect.stringMatching(/leaves the source tree/) },
    ]);
    expect(source.fileCount).toBe(2);
    expectNothingEscapes(output);
  });

  it('judges the path a pax header or a long name gives, not the name in the ustar header', async () => {
    const long = `${'a/'.repeat(60)}${'../'.repeat(61)}evil-long`;
    const entries: FixtureEntry[] = [
      // tar-stream writes `pax` records as given; its Headers type does not declare them.
      { header: { name: 'innocent.txt', type: 'file', mode: 0o644, pax: { path: '../../evil-pax' } } as Headers, content: 'x' },
      { header: { name: 'innocent-link', type: 'symlink', linkname: 'index.html', pax: { linkpath: '/etc/shadow' } } as Headers },
      file(long, 'x'),
      file('index.html', 'ok'),
    ];

    const { source, output } = await prepare(entries);

    expect(names(output)).toEqual(['src/', 'src/index.html']);
    expect(droppedPaths(source)).toEqual(['../../evil-pax', 'innocent-link', long]);
    expectNothingEscapes(output);
  });

  it('drops symlinks with absolute targets or targets outside the tree, and keeps the ones inside', async () => {
    const entries = [
      dir('sub/'),
      file('README.md', 'readme'),
      symlink('passwd', '/etc/passwd'),
      symlink('up', '../outside'),
      symlink('sub/up2', '../../x'),
      symlink('sub/sneaky', 'deeper/../../../x'),
      symlink('sub/readme', '../README.md'),
      symlink('here', 'sub'),
    ];

    const { source, output } = await prepare(entries);

    expect(names(output)).toEqual(['src/', 'src/sub/', 'src/README.md', 'src/sub/readme', 'src/here']);
    expect(byName(output, 'src/sub/readme').header).toMatchObject({ type: 'symlink', linkname: '../README.md' });
    expect(byName(output, 'src/here').header).toMatchObject({ type: 'symlink', linkname: 'sub' });
    expect(source.dropped).toEqual([
      { path: 'passwd', reason: 'symlink to /etc/passwd points outside the source tree' },
      { path: 'up', reason: 'symlink to ../outside points outside the source tree' },
      { path: 'sub/up2', reason: 'symlink to ../../x points outside the source tree' },
      { path: 'sub/sneaky', reason: 'symlink to deeper/../../../x points outside the source tree' },
    ]);
    expectNothingEscapes(output);
  });

  it('drops a symlink that points outside the contextDir even when it stays inside the repository', async () => {
    const entries = [file('shared/config', 'c'), dir('app/'), symlink('app/config', '../shared/config'), file('app/main', 'm')];

    const { source, output } = await prepare(entries, { contextDir: 'app' });

    expect(names(output)).toEqual(['src/', 'src/main']);
    expect(droppedPaths(source)).toEqual(['app/config']);
    expectNothingEscapes(output);
  });

  it.each<[string, FixtureEntry[]]>([
    ['a symlink below a symlink to the tree root', [dir('a/'), symlink('a/up', '..'), symlink('a/up/esc', '..'), file('a/up/esc/pwned', 'x')]],
    ['a symlink whose target climbs out of a later symlink', [symlink('b', 'a/up/..'), dir('a/'), symlink('a/up', '..'), file('b/pwned', 'x')]],
    ['a hard link to a file that was replaced by a symlink', [dir('sub/'), file('sub/x', 'x'), symlink('sub/x', '..'), hardlink('h', 'sub/x')]],
    [
      'a hard link through a directory that was replaced by a symlink',
      [file('dir/s', 's'), symlink('dir', 'd2'), dir('d2/'), symlink('d2/s', '../x'), hardlink('h', 'dir/s')],
    ],
  ])('keeps everything inside src/ against %s', async (_name, entries) => {
    const { output } = await prepare(entries);

    expectNothingEscapes(output);
  });

  it('drops entries placed through a symlink and reports them', async () => {
    const entries = [dir('a/'), symlink('a/up', '..'), symlink('a/up/esc', '..'), file('a/up/esc/pwned', 'x'), file('a/up/f', 'x'), file('a/f', 'ok')];

    const { source, output } = await prepare(entries);

    expect(names(output)).toEqual(['src/', 'src/a/', 'src/a/up', 'src/a/f']);
    expect(source.dropped).toEqual([
      { path: 'a/up/esc', reason: 'path goes through the symlink a/up' },
      { path: 'a/up/esc/pwned', reason: 'path goes through the symlink a/up' },
      { path: 'a/up/f', reason: 'path goes through the symlink a/up' },
    ]);
    expect(source.fileCount).toBe(1);
  });

  it('writes symlink targets normalised and keeps ordinary relative links', async () => {
    const entries = [
      dir('node_modules/.bin/'),
      file('node_modules/tool/cli.js', 'cli'),
      symlink('node_modules/.bin/tool', '../tool/cli.js'),
      symlink('shortcut', 'a/x/../../node_modules/./tool'),
    ];

    const { output } = await prepare(entries);

    expect(byName(output, 'src/node_modules/.bin/tool').header.linkname).toBe('../tool/cli.js');
    expect(byName(output, 'src/shortcut').header.linkname).toBe('node_modules/tool');
    expectNothingEscapes(output);
  });

  it('drops hard links to paths outside the tree, outside the contextDir, or to files not seen before', async () => {
    const entries = [
      file('other/secret', 's'),
      file('app/data.txt', 'data'),
      hardlink('app/ok', 'app/data.txt'),
      hardlink('app/shadow', '../../etc/shadow'),
      hardlink('app/passwd', '/etc/passwd'),
      hardlink('app/secret', 'other/secret'),
      hardlink('app/early', 'app/later.txt'),
      file('app/later.txt', 'later'),
    ];

    const { source, output } = await prepare(entries, { contextDir: 'app' });

    expect(names(output)).toEqual(['src/', 'src/data.txt', 'src/ok', 'src/later.txt']);
    expect(byName(output, 'src/ok').header).toMatchObject({ type: 'link', linkname: 'src/data.txt' });
    expect(source.dropped).toEqual([
      { path: 'app/shadow', reason: 'hard link to ../../etc/shadow points outside the source tree' },
      { path: 'app/passwd', reason: 'hard link to /etc/passwd points outside the source tree' },
      { path: 'app/secret', reason: 'hard link to other/secret points outside the source tree' },
      { path: 'app/early', reason: 'hard link to app/later.txt points outside the source tree' },
    ]);
    expectNothingEscapes(output);
  });

  it('drops device and fifo entries', async () => {
    const entries: FixtureEntry[] = [
      { header: { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 } },
      { header: { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 } },
      { header: { name: 'pipe', type: 'fifo', mode: 0o644 } },
      file('kept.txt', 'kept'),
    ];

    const { source, output } = await prepare(entries);

    expect(names(output)).toEqual(['src/', 'src/kept.txt']);
    expect(source.dropped).toEqual([
      { path: 'dev/null', reason: 'character-device entries are not allowed in a build context' },
      { path: 'dev/sda', reason: 'block-device entries are not allowed in a build context' },
      { path: 'pipe', reason: 'fifo entries are not allowed in a build context' },
    ]);
  });

  it('masks set-uid, set-gid and sticky bits and keeps the permission bits', async () => {
    const entries = [
      dir('bin/', 0o1777),
      file('bin/suid', '#!/bin/sh\n', 0o4755),
      file('bin/sgid', '#!/bin/sh\n', 0o2750),
      file('bin/plain', '#!/bin/sh\n', 0o755),
      file('private', 'p', 0o600),
      hardlink('bin/suid-link', 'bin/plain', 0o6755),
    ];

    const { output } = await prepare(entries);

    const modes = Object.fromEntries(output.map((entry) => [entry.header.name, entry.header.mode]));
    expect(modes).toEqual({
      'src/': 0o775,
      'src/bin/': 0o777,
      'src/bin/suid': 0o755,
      'src/bin/sgid': 0o750,
      'src/bin/plain': 0o755,
      'src/private': 0o600,
      'src/bin/suid-link': 0o755,
    });
  });

  it('keeps directories traversable by their owner', async () => {
    const { output } = await prepare([dir('locked/', 0o055), file('locked/f', 'f')]);

    expect(byName(output, 'src/locked/').header.mode).toBe(0o755);
  });

  it('strips the top folder of a GitHub tarball, including from hard link targets', async () => {
    const top = 'acme-hello-0123abc';
    const entries = [
      dir(`${top}/`),
      file(`${top}/package.json`, '{}'),
      dir(`${top}/lib/`),
      file(`${top}/lib/a.js`, 'a'),
      hardlink(`${top}/lib/b.js`, `${top}/lib/a.js`),
      file('stray-top-level-file', 'no folder to strip'),
    ];

    const { source, output } = await prepare(entries, { stripComponents: 1 });

    expect(names(output)).toEqual(['src/', 'src/package.json', 'src/lib/', 'src/lib/a.js', 'src/lib/b.js']);
    expect(byName(output, 'src/lib/b.js').header.linkname).toBe('src/lib/a.js');
    expect(source.fileCount).toBe(2);
    expect(source.dropped).toEqual([]);
  });

  it('neutralises .. that only climbs out of the stripped top folder', async () => {
    const entries = [file('top/ok', 'ok'), file('../escaped-by-strip', 'x'), file('top/../../evil', 'x')];

    const { source, output } = await prepare(entries, { stripComponents: 1 });

    expect(names(output)).toEqual(['src/', 'src/ok', 'src/escaped-by-strip']);
    expect(droppedPaths(source)).toEqual(['top/../../evil']);
    expectNothingEscapes(output);
  });

  it('builds only the contextDir, taking scripts and environment from its .s2i/', async () => {
    const entries = [
      file('README.md', 'root'),
      file('.s2i/bin/assemble', 'root assemble'),
      file('.s2i/environment', 'FROM_ROOT=1\n'),
      dir('services/api/'),
      file('services/api/server.js', 'api'),
      file('services/api/.s2i/bin/assemble', 'api assemble'),
      file('services/api/.s2i/environment', 'FROM_API=1\n'),
      file('services/api-old/server.js', 'old'),
      file('services/web/index.html', 'web'),
    ];

    const { source, output } = await prepare(entries, { contextDir: 'services/api' });

    expect(names(output)).toEqual([
      'src/',
      'src/server.js',
      'src/.s2i/bin/assemble',
      'src/.s2i/environment',
      'scripts/',
      'scripts/assemble',
    ]);
    expect(byName(output, 'scripts/assemble').content.toString()).toBe('api assemble');
    expect(source.environment).toEqual({ FROM_API: '1' });
    expect(source.fileCount).toBe(3);
  });

  it.each(['./services/api/', 'services//api', 'services/x/../api', ' services/api '])('normalises contextDir %j', async (contextDir) => {
    const entries = [file('services/api/server.js', 'api'), file('other.js', 'other')];

    const { output } = await prepare(entries, { contextDir });

    expect(names(output)).toEqual(['src/', 'src/server.js']);
  });

  it.each(['', '.', './'])('treats contextDir %j as the repository root', async (contextDir) => {
    const { output } = await prepare([file('a', 'a'), file('b/c', 'c')], { contextDir });

    expect(names(output)).toEqual(['src/', 'src/a', 'src/b/c']);
  });

  it('accepts a contextDir that only appears as a directory entry (an empty directory)', async () => {
    const { source, output } = await prepare([dir('empty/'), file('other', 'o')], { contextDir: 'empty' });

    expect(names(output)).toEqual(['src/']);
    expect(source.fileCount).toBe(0);
  });

  it('refuses a contextDir missing from the source and removes its spool', async () => {
    const entries = [file('app/server.js', 'x'), file('application/main.js', 'y')];

    const attempt = prepareSource(tarOf(entries), { ...DEFAULTS, contextDir: 'app/missing' });

    await expect(attempt).rejects.toThrow(SourceError);
    await expect(attempt).rejects.toThrow('contextDir "app/missing" does not exist in the source');
    expect(spooled()).toEqual([]);
  });

  it.each(['..', '../sibling', '/etc', 'a/../..', 'a/../../b'])('refuses contextDir %j without leaving a spool behind', async (contextDir) => {
    const attempt = prepareSource(tarOf([file('a/b', 'x')]), { ...DEFAULTS, contextDir });

    await expect(attempt).rejects.toThrow(SourceError);
    await expect(attempt).rejects.toThrow(`contextDir "${contextDir}" must be a relative path inside the repository`);
    expect(spooled()).toEqual([]);
  });

  it('refuses a source larger than maxBytes with the limit and the setting in the message, and removes its spool', async () => {
    const entries = [file('a', '12345'), file('b', '123456')];

    const attempt = prepareSource(tarOf(entries), { ...DEFAULTS, maxBytes: 10 });

    await expect(attempt).rejects.toThrow(SourceError);
    await expect(attempt).rejects.toThrow(/larger than the 10 B limit.*S2I_MAX_SOURCE_BYTES/);
    expect(spooled()).toEqual([]);
  });

  it('accepts a source of exactly maxBytes', async () => {
    const { source } = await prepare([file('a', '12345'), file('b', '12345')], { maxBytes: 10 });

    expect(source.bytes).toBe(10);
  });

  it('counts only the contextDir towards the size limit', async () => {
    const entries = [file('big/blob', Buffer.alloc(100)), file('app/small', '1234')];

    const { source } = await prepare(entries, { contextDir: 'app', maxBytes: 10 });

    expect(source.bytes).toBe(4);
  });

  it('copies .s2i/bin scripts to scripts/ as executables and lists them', async () => {
    const entries = [
      file('.s2i/bin/assemble', '#!/bin/sh\necho assemble\n', 0o644),
      file('.s2i/bin/run', '#!/bin/sh\nexec app\n', 0o755),
      file('.s2i/bin/helper.sh', '#!/bin/sh\n', 0o755),
      file('.s2i/bin/nested/assemble', 'not a script'),
      file('app.js', 'x'),
    ];

    const { source, output } = await prepare(entries);

    expect(source.scripts.sort()).toEqual(['assemble', 'run']);
    expect(names(output).filter((name) => name.startsWith('scripts/')).sort()).toEqual(['scripts/', 'scripts/assemble', 'scripts/run']);
    expect(byName(output, 'scripts/assemble').header.mode).toBe(0o755);
    expect(byName(output, 'scripts/assemble').content.toString()).toBe('#!/bin/sh\necho assemble\n');
    expect(byName(output, 'scripts/run').content.toString()).toBe('#!/bin/sh\nexec app\n');
    expect(byName(output, 'src/.s2i/bin/assemble').content.toString()).toBe('#!/bin/sh\necho assemble\n');
    expect(names(output)).toContain('src/.s2i/bin/helper.sh');
    expect(SCRIPT_NAMES).toEqual(['assemble', 'run', 'save-artifacts', 'assemble-runtime']);
  });

  it('refuses an oversized S2I script', async () => {
    const entries = [file('.s2i/bin/assemble', Buffer.alloc(1024 * 1024 + 1, 0x61))];

    const attempt = prepareSource(tarOf(entries), { ...DEFAULTS, maxBytes: 10 * 1024 * 1024 });

    await expect(attempt).rejects.toThrow(new SourceError('.s2i/bin/assemble is 1.0 MiB, more than an S2I script may be'));
    expect(spooled()).toEqual([]);
  });

  it('refuses an oversized .s2i/environment', async () => {
    const entries = [file('.s2i/environment', Buffer.alloc(64 * 1024 + 1, 0x61))];

    const attempt = prepareSource(tarOf(entries), DEFAULTS);

    await expect(attempt).rejects.toThrow(/\.s2i\/environment is 64\.0 KiB, more than an S2I environment file may be/);
  });

  it('parses .s2i/environment into environment and reports its problems with line numbers', async () => {
    const text = ['# build settings', 'NPM_MIRROR=https://npm.example/', '', 'not a variable', 'OPTS=--a=1 --b', '1BAD=x'].join('\n');

    const { source, output } = await prepare([file('.s2i/environment', text), file('app.js', 'x')]);

    expect(source.environment).toEqual({ NPM_MIRROR: 'https://npm.example/', OPTS: '--a=1 --b' });
    expect(source.environmentProblems.map((problem) => problem.line)).toEqual([4, 6]);
    expect(byName(output, 'src/.s2i/environment').content.toString()).toBe(text);
  });

  it('refuses an archive that is not a tar', async () => {
    const garbage = Readable.from([Buffer.alloc(1024, 0x41)]);

    const attempt = prepareSource(garbage, DEFAULTS);

    await expect(attempt).rejects.toThrow(SourceError);
    await expect(attempt).rejects.toThrow(/^the source archive could not be read: /);
    expect(spooled()).toEqual([]);
  });

  it('turns a failing input stream into a SourceError', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset by GitHub'));
      },
    });

    const attempt = prepareSource(failing, DEFAULTS);

    await expect(attempt).rejects.toThrow(new SourceError('the source archive could not be read: connection reset by GitHub'));
    expect(spooled()).toEqual([]);
  });

  it('never writes an entry outside src/ or scripts/ for a mixed hostile archive', async () => {
    const entries: FixtureEntry[] = [
      dir('top/'),
      file('top/../../../../tmp/x', 'x'),
      file('top//etc/passwd', 'x'),
      symlink('top/link', '/'),
      symlink('top/rel', '../../..'),
      hardlink('top/hl', 'top/../../etc/shadow'),
      file('top/.s2i/bin/assemble', '#!/bin/sh\n', 0o4777),
      file('top/ok', 'ok'),
      { header: { name: 'top/dev', type: 'character-device', devmajor: 1, devminor: 1 } },
    ];

    const { source, output } = await prepare(entries, { stripComponents: 1 });

    expect(names(output).every((name) => /^(src|scripts)\//.test(name))).toBe(true);
    expect(names(output).some((name) => name.split('/').includes('..'))).toBe(false);
    expect(output.every((entry) => ((entry.header.mode ?? 0) & 0o7000) === 0)).toBe(true);
    expect(droppedPaths(source)).toEqual(['top/../../../../tmp/x', 'top//etc/passwd', 'top/link', 'top/rel', 'top/hl', 'top/dev']);
    expectNothingEscapes(output);
  });

  describe('.s2iignore', () => {
    it('leaves out what it lists before the source reaches the builder, keeping itself and the rest', async () => {
      const entries = [
        file('.s2iignore', '# build output\nnode_modules\n*.log\n!keep.log\n'),
        dir('node_modules/'),
        dir('node_modules/left-pad/'),
        file('node_modules/left-pad/index.js', 'x'.repeat(100)),
        file('debug.log', 'noise'),
        file('keep.log', 'kept'),
        file('logs/deep.log', 'not matched: * stops at /'),
        file('index.js', 'app'),
      ];

      const { source, output } = await prepare(entries);

      expect(names(output)).toEqual(['src/', 'src/.s2iignore', 'src/keep.log', 'src/logs/deep.log', 'src/index.js']);
      expect(source.ignoredCount).toBe(4);
      expect(source.fileCount).toBe(4);
      expect(source.bytes).toBe(entries.slice(5).reduce((total, entry) => total + String(entry.content).length, 0) + String(entries[0].content).length);
    });

    it('applies when .s2iignore comes after the entries it ignores in the tar', async () => {
      const { output } = await prepare([file('a.tmp', 'a'), file('b.txt', 'b'), file('.s2iignore', '*.tmp\n')]);

      expect(names(output)).toEqual(['src/', 'src/b.txt', 'src/.s2iignore']);
    });

    it('is read from the contextDir, with patterns relative to it, as s2i does', async () => {
      const entries = [
        file('.s2iignore', '*\n'),
        file('services/api/.s2iignore', 'fixtures\n'),
        file('services/api/server.js', 'api'),
        file('services/api/fixtures/big.json', '{}'),
      ];

      const { output } = await prepare(entries, { contextDir: 'services/api' });

      expect(names(output)).toEqual(['src/', 'src/.s2iignore', 'src/server.js']);
    });

    it('keeps .s2i/bin scripts (s2i installs them before it ignores) but drops an ignored .s2i/environment', async () => {
      const entries = [file('.s2iignore', '.s2i\n'), file('.s2i/bin/assemble', 'custom'), file('.s2i/environment', 'A=1\n'), file('app.js', 'app')];

      const { source, output } = await prepare(entries);

      expect(names(output)).toEqual(['src/', 'src/.s2iignore', 'src/app.js', 'scripts/', 'scripts/assemble']);
      expect(source.scripts).toEqual(['assemble']);
      expect(source.scriptFiles.get('assemble')?.toString()).toBe('custom');
      expect(source.environment).toEqual({});
    });

    it('keeps the content of an ignored file under a hard link that is kept', async () => {
      const entries = [file('.s2iignore', 'data.bin\n'), file('data.bin', 'shared'), hardlink('copy.bin', 'data.bin'), hardlink('copy2.bin', 'data.bin')];

      const { output } = await prepare(entries);

      expect(names(output)).toEqual(['src/', 'src/.s2iignore', 'src/copy.bin', 'src/copy2.bin']);
      expect(byName(output, 'src/copy.bin').header.type).toBe('file');
      expect(byName(output, 'src/copy.bin').content.toString()).toBe('shared');
      expect(byName(output, 'src/copy2.bin').header).toMatchObject({ type: 'link', linkname: 'src/copy.bin' });
      expectNothingEscapes(output);
    });

    it('refuses a .s2iignore that leaves out every file, and removes its spool', async () => {
      const error = await prepareSource(tarOf([file('.s2iignore', '*\n'), file('index.js', 'a'), file('lib/x.js', 'x')]), DEFAULTS).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(SourceError);
      expect((error as Error).message).toBe('the source is empty after .s2iignore: the patterns of .s2iignore leave out every file');
      expect((error as InstanceType<typeof SourceError>).hint).toBe('change .s2iignore so that it keeps the files the build needs');
      expect(spooled()).toEqual([]);
    });

    it('names the contextDir .s2iignore when it empties the build', async () => {
      const error = await prepareSource(tarOf([file('api/.s2iignore', '[a-z]*\n'), file('api/main.go', 'x')]), { ...DEFAULTS, contextDir: 'api' }).catch((caught: unknown) => caught);

      expect((error as Error).message).toBe('the source is empty after .s2iignore: the patterns of api/.s2iignore leave out every file');
    });

    it('refuses a malformed pattern with its line, and removes its spool', async () => {
      const error = await prepareSource(tarOf([file('.s2iignore', 'ok\n# fine\n[abc\n'), file('a', 'a')]), DEFAULTS).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(SourceError);
      expect((error as Error).message).toBe('.s2iignore line 3: "[abc" is not a valid pattern: unfinished character class');
      expect(spooled()).toEqual([]);
    });

    it('changes nothing when it only has comments', async () => {
      const { source, output } = await prepare([file('.s2iignore', '# nothing\n\n'), file('a', 'a')]);

      expect(names(output)).toEqual(['src/', 'src/.s2iignore', 'src/a']);
      expect(source.ignoredCount).toBe(0);
    });

    it('refuses an oversized .s2iignore', async () => {
      const error = await prepareSource(tarOf([file('.s2iignore', 'x'.repeat(64 * 1024 + 1))]), DEFAULTS).catch((caught: unknown) => caught);

      expect((error as Error).message).toBe('.s2iignore is 64.0 KiB, more than an S2I ignore file may be');
    });
  });

  it('dispose() removes the spooled tar and its directory', async () => {
    const source = await prepareSource(tarOf([file('a', 'a')]), DEFAULTS);
    expect(existsSync(source.tarPath)).toBe(true);

    await source.dispose();

    expect(existsSync(source.tarPath)).toBe(false);
    expect(spooled()).toEqual([]);
  });

  it.each<[number, string]>([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [500 * 1024 ** 2, '500 MiB'],
    [1.5 * 1024 ** 3, '1.5 GiB'],
    [3 * 1024 ** 5, '3072 TiB'],
  ])('formatBytes(%d) is %s', (value, expected) => {
    expect(formatBytes(value)).toBe(expected);
  });
});
