import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import tar, { type Headers } from 'tar-stream';
import { ArtifactTarTooLargeError, artifactTar, type ArtifactTarOptions } from '../../src/build/artifact-tar.js';

interface Entry {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  linkname?: string;
  content?: string;
}

function tarOfEntries(entries: Array<[Headers, string?]>): Readable {
  const pack = tar.pack();
  for (const [header, content] of entries) pack.entry(header, content);
  pack.finalize();
  return pack as unknown as Readable;
}

async function entriesOf(stream: Readable): Promise<Entry[]> {
  const entries: Entry[] = [];
  const extract = tar.extract();
  stream.pipe(extract);
  for await (const entry of extract) {
    const { name, type, mode, uid, gid, linkname } = entry.header;
    const content = (await buffer(entry)).toString('utf8');
    entries.push({ name, type: type ?? 'file', mode: mode ?? 0, uid: uid ?? 0, gid: gid ?? 0, ...(linkname ? { linkname } : {}), ...(type === 'file' ? { content } : {}) });
  }
  return entries;
}

async function repack(input: Readable, options: Partial<ArtifactTarOptions> = {}) {
  const { input: sink, output, done } = artifactTar({ prefix: 'artifacts', owner: { uid: 1001, gid: 0 }, modes: 'keep', maxBytes: 1024 * 1024, ...options });
  const [entries, stats] = await Promise.all([entriesOf(output as Readable), done, pipeline(input, sink)]);
  return { entries, stats };
}

describe('build/artifact-tar', () => {
  it('places every entry under the prefix, owned by the given user, with set-uid bits dropped', async () => {
    const input = tarOfEntries([
      [{ name: 'deps/', type: 'directory', mode: 0o700, uid: 0, gid: 0 }],
      [{ name: 'deps/tool', mode: 0o4755, uid: 0, gid: 0 }, '#!/bin/sh\n'],
      [{ name: './deps/data.txt', mode: 0o600, uid: 5, gid: 5 }, 'data'],
      [{ name: 'deps/current', type: 'symlink', linkname: '/usr/lib/python3' }],
      [{ name: 'deps/again', type: 'link', linkname: 'deps/data.txt', mode: 0o600 }],
    ]);

    const { entries, stats } = await repack(input);

    expect(entries).toEqual([
      { name: 'artifacts/', type: 'directory', mode: 0o775, uid: 1001, gid: 0 },
      { name: 'artifacts/deps/', type: 'directory', mode: 0o700, uid: 1001, gid: 0 },
      { name: 'artifacts/deps/tool', type: 'file', mode: 0o755, uid: 1001, gid: 0, content: '#!/bin/sh\n' },
      { name: 'artifacts/deps/data.txt', type: 'file', mode: 0o600, uid: 1001, gid: 0, content: 'data' },
      { name: 'artifacts/deps/current', type: 'symlink', mode: 0o777, uid: 1001, gid: 0, linkname: '/usr/lib/python3' },
      { name: 'artifacts/deps/again', type: 'link', mode: 0o600, uid: 1001, gid: 0, linkname: 'artifacts/deps/data.txt' },
    ]);
    expect(stats).toEqual({ files: 3, bytes: 14, dropped: 0 });
  });

  it('leaves out traversal, writes through symlinks, hard links out of the tree and device files; keeps absolute names inside', async () => {
    const input = tarOfEntries([
      [{ name: '../../etc/passwd', mode: 0o644 }, 'x'],
      [{ name: 'a/../../../tmp/evil', mode: 0o644 }, 'x'],
      [{ name: '/abs.txt', mode: 0o644 }, 'abs'],
      [{ name: 'escape', type: 'symlink', linkname: '/etc' }],
      [{ name: 'escape/cron', mode: 0o644 }, 'x'],
      [{ name: 'hard', type: 'link', linkname: '/etc/shadow' }],
      [{ name: 'hard-through', type: 'link', linkname: 'escape/cron' }],
      [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }],
      [{ name: 'pipe', type: 'fifo' }],
    ]);

    const { entries, stats } = await repack(input);

    expect(entries.map((entry) => `${entry.type} ${entry.name}`)).toEqual(['directory artifacts/', 'file artifacts/abs.txt', 'symlink artifacts/escape']);
    expect(stats.dropped).toBe(7);
  });

  it('normalises modes the way s2i uploads runtime artifacts: 0755 for directories and executables, 0644 otherwise', async () => {
    const input = tarOfEntries([
      [{ name: 'dist/', type: 'directory', mode: 0o700 }],
      [{ name: 'dist/app', mode: 0o700 }, 'bin'],
      [{ name: 'dist/app.conf', mode: 0o600 }, 'conf'],
    ]);

    const { entries } = await repack(input, { prefix: 'app/lib', modes: 'normalise', owner: { uid: 1002, gid: 1002 } });

    expect(entries.map((entry) => [entry.name, entry.mode.toString(8), entry.uid])).toEqual([
      ['app/', '775', 1002],
      ['app/lib/', '775', 1002],
      ['app/lib/dist/', '755', 1002],
      ['app/lib/dist/app', '755', 1002],
      ['app/lib/dist/app.conf', '644', 1002],
    ]);
  });

  it('adds no directory entries without a prefix', async () => {
    const { entries } = await repack(tarOfEntries([[{ name: 'app.war', mode: 0o644 }, 'war']]), { prefix: '' });

    expect(entries.map((entry) => entry.name)).toEqual(['app.war']);
  });

  it('accepts an empty output as no files', async () => {
    const { entries, stats } = await repack(Readable.from([]));

    expect(entries.map((entry) => entry.name)).toEqual(['artifacts/']);
    expect(stats).toEqual({ files: 0, bytes: 0, dropped: 0 });
  });

  it('rejects output that is not a tar', async () => {
    const { input, output, done } = artifactTar({ prefix: 'artifacts', owner: { uid: 0, gid: 0 }, modes: 'keep', maxBytes: 1024 });
    output.resume();

    await Promise.all([pipeline(Readable.from([Buffer.from('here are my artifacts\n'.repeat(40))]), input).catch(() => undefined), expect(done).rejects.toThrow(/Invalid tar header/)]);
  });

  it('stops at the size limit', async () => {
    const { input, output, done } = artifactTar({ prefix: 'artifacts', owner: { uid: 0, gid: 0 }, modes: 'keep', maxBytes: 10 });
    output.resume();
    const big = tarOfEntries([
      [{ name: 'a', mode: 0o644 }, '123456'],
      [{ name: 'b', mode: 0o644 }, '123456'],
    ]);

    await Promise.all([pipeline(big, input).catch(() => undefined), expect(done).rejects.toBeInstanceOf(ArtifactTarTooLargeError)]);
  });
});
