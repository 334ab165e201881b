import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { BuildError } from '../../src/build/build-error.js';
import { prepareSource, type PreparedSource } from '../../src/source/prepare-source.js';
import { assembleCommand, checkStdinRequirements, injectSource, sourceArchive, spoolDirOf, STDIN_SOURCE_FILE } from '../../src/source/inject-source.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { file, names, readTar, tarOf, type TarEntry } from './tar-fixtures.js';

const prepared: PreparedSource[] = [];

async function prepare(entries: Parameters<typeof tarOf>[0]): Promise<PreparedSource> {
  const source = await prepareSource(tarOf(entries), { stripComponents: 0, contextDir: '', maxBytes: 1024 * 1024 });
  prepared.push(source);
  return source;
}

afterEach(async () => {
  for (const source of prepared.splice(0)) await source.dispose();
});

/** An engine that records archives put into a container and answers pathExists from a list. */
class RecordingEngine extends UnusedEngine {
  readonly archives: Array<{ path: string; entries: TarEntry[] }> = [];
  readonly looked: string[] = [];

  constructor(private readonly existing: string[] = []) {
    super('source injection');
  }

  override async putArchive(_containerId: string, path: string, tar: Readable): Promise<void> {
    this.archives.push({ path, entries: await readTar(tar) });
  }

  override pathExists(_containerId: string, path: string): Promise<boolean> {
    this.looked.push(path);
    return Promise.resolve(this.existing.includes(path));
  }
}

describe('source/inject-source', () => {
  it('streams the prepared tar as is when no script was downloaded', async () => {
    const source = await prepare([file('a.txt', 'a'), file('.s2i/bin/run', 'source run')]);

    const entries = await readTar(sourceArchive(source, new Map()));

    expect(names(entries)).toEqual(['src/', 'src/a.txt', 'src/.s2i/bin/run', 'scripts/', 'scripts/run']);
  });

  it('appends downloaded scripts after the prepared tar, so they replace a source script of the same name', async () => {
    const source = await prepare([file('a.txt', 'a'), file('.s2i/bin/assemble', 'source assemble')]);

    const bytes = await buffer(sourceArchive(source, new Map([['assemble', Buffer.from('downloaded assemble')], ['run', Buffer.from('downloaded run')]])));
    const entries = await readTar(Readable.from([bytes]));

    expect(names(entries)).toEqual(['src/', 'src/a.txt', 'src/.s2i/bin/assemble', 'scripts/', 'scripts/assemble', 'scripts/', 'scripts/assemble', 'scripts/run']);
    expect(entries.at(-2)?.content.toString()).toBe('downloaded assemble');
    expect(entries.at(-1)?.header).toMatchObject({ type: 'file', mode: 0o755 });
    // One archive: a single end-of-archive marker, at the end.
    expect(bytes.subarray(bytes.length - 1024).every((byte) => byte === 0)).toBe(true);
  });

  it.each<[string, string[]]>([
    ['archive', ['/usr/libexec/s2i/assemble']],
    ['stdin', ['/bin/sh', '-c', `tar -C "$1" -xf "$1/${STDIN_SOURCE_FILE}" && rm -f "$1/${STDIN_SOURCE_FILE}" && exec "$2"`, 'sh', '/opt/app root', '/usr/libexec/s2i/assemble']],
  ] as const)('runs assemble directly with %s injection, or after the image extracted the source itself', (mode, cmd) => {
    expect(assembleCommand(mode as 'archive' | 'stdin', '/opt/app root', '/usr/libexec/s2i/assemble')).toEqual(cmd);
  });

  it("reads the tar from stdin, as s2i's tar -C <destination> -xf -, once the engine streams it", () => {
    expect(assembleCommand('stdin', '/tmp', '/tmp/scripts/assemble', '-')).toEqual(['/bin/sh', '-c', 'tar -C "$1" -xf - && exec "$2"', 'sh', '/tmp', '/tmp/scripts/assemble']);
  });

  it('archive injection: the engine extracts the context at the destination, owned by the assemble user', async () => {
    const source = await prepare([file('a.txt', 'a')]);
    const engine = new RecordingEngine();

    await injectSource(engine, 'c1', '/tmp', 'archive', sourceArchive(source, new Map()), { uid: 1001, gid: 0 }, spoolDirOf(source));

    expect(engine.archives).toHaveLength(1);
    expect(engine.archives[0].path).toBe('/tmp');
    expect(names(engine.archives[0].entries)).toEqual(['src/', 'src/a.txt']);
    expect(engine.archives[0].entries.every((entry) => entry.header.uid === 1001 && entry.header.gid === 0)).toBe(true);
  });

  it('stdin injection: the context is handed over as one tar for the image to extract', async () => {
    const source = await prepare([file('a.txt', 'a')]);
    const engine = new RecordingEngine();

    await injectSource(engine, 'c1', '/tmp', 'stdin', sourceArchive(source, new Map([['run', Buffer.from('r')]])), { uid: 1001, gid: 0 }, spoolDirOf(source));

    const [outer] = engine.archives;
    expect(outer.path).toBe('/tmp');
    expect(names(outer.entries)).toEqual([STDIN_SOURCE_FILE]);
    expect(outer.entries[0].header).toMatchObject({ mode: 0o600, uid: 1001, gid: 0 });
    const inner = await readTar(Readable.from([outer.entries[0].content]));
    expect(names(inner)).toEqual(['src/', 'src/a.txt', 'scripts/', 'scripts/run']);
    expect(inner.every((entry) => entry.header.uid === 1001)).toBe(true);
  });

  describe('checkStdinRequirements', () => {
    it('passes when /bin/sh and a tar in one PATH directory exist, looking only in absolute PATH entries', async () => {
      const engine = new RecordingEngine(['/bin/sh', '/usr/bin/tar']);

      await checkStdinRequirements(engine, 'c1', 'sha256:ok', 'acme/builder', ['PATH=/usr/local/bin:relative:/usr/bin/']);

      expect(engine.looked.sort()).toEqual(['/bin/sh', '/usr/bin/tar', '/usr/local/bin/tar']);
    });

    it('uses the PATH the build sets over the image one, and checks each image and PATH once', async () => {
      const engine = new RecordingEngine(['/bin/sh', '/opt/tools/tar']);

      await checkStdinRequirements(engine, 'c1', 'sha256:cached', 'acme/builder', ['PATH=/usr/bin', 'PATH=/opt/tools']);
      await checkStdinRequirements(engine, 'c2', 'sha256:cached', 'acme/builder', ['PATH=/usr/bin', 'PATH=/opt/tools']);

      expect(engine.looked.sort()).toEqual(['/bin/sh', '/opt/tools/tar']);
    });

    it("refuses a builder without tar in PATH with s2i's kind of message, naming the PATH and the setting", async () => {
      const engine = new RecordingEngine(['/bin/sh']);

      const error = await checkStdinRequirements(engine, 'c1', 'sha256:notar', 'acme/builder', []).catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(BuildError);
      expect((error as BuildError).step).toBe('builder');
      expect((error as BuildError).reason).toBe(
        "the builder image acme/builder has no tar in PATH: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin (S2I_SOURCE_INJECTION=stdin extracts the source with the image's own tar, as s2i does)",
      );
      expect((error as BuildError).hint).toBe(
        'install it in the builder image, or ask the operator to use S2I_SOURCE_INJECTION=archive (the default), which needs neither tar nor a shell in the image',
      );
    });

    it('refuses a builder without /bin/sh', async () => {
      const engine = new RecordingEngine(['/usr/bin/tar']);

      const error = await checkStdinRequirements(engine, 'c1', 'sha256:nosh', 'acme/builder', ['PATH=/usr/bin']).catch((caught: unknown) => caught);

      expect((error as BuildError).reason).toBe('the builder image acme/builder has no /bin/sh, which S2I_SOURCE_INJECTION=stdin needs to extract the source');
    });
  });
});
