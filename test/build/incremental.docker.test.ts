import { jest } from '@jest/globals';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { buildImage, type BuildEvent, type BuildRequest } from '../../src/build/build-image.js';
import {
  buildTestBuilder,
  docker,
  engine,
  leftoverBuildContainers,
  removeImages,
  runInImage,
  tarOf,
  testSettings,
  uniqueTag,
  type FileTree,
} from '../support/docker.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/incremental:${RUN_ID}`;
const NO_SAVE_BUILDER = `s2i-bot-test/incremental-no-save:${RUN_ID}`;
// Under the local registry's address: a previous image that is not on the engine is looked for there, offline.
const OUTPUT = `127.0.0.1:5000/s2i-bot-test/incremental-${RUN_ID}`;

// assemble keeps a history: the restored one from /tmp/artifacts, plus this build's line.
const ASSEMBLE = `#!/bin/sh
set -e
if [ -f /tmp/artifacts/history.txt ]; then
  echo "---> restored $(wc -l < /tmp/artifacts/history.txt) lines, owned by $(stat -c %u:%g /tmp/artifacts /tmp/artifacts/history.txt | tr '\\n' ' ')"
  cp /tmp/artifacts/history.txt /opt/app/history.txt
fi
cat /tmp/src/line.txt >> /opt/app/history.txt
`;
const SAVE_ARTIFACTS = '#!/bin/sh\necho "---> saving history" >&2\ncd /opt/app && tar cf - history.txt\n';
const RUN = '#!/bin/sh\nexec cat /opt/app/history.txt\n';
const DOCKERFILE = ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'RUN mkdir -p /opt/app && chown 1001:0 /opt/app', 'USER 1001'];

const created: string[] = [];

async function build(line: string, overrides: Partial<BuildRequest> = {}, files: FileTree = {}) {
  const tag = overrides.tag ?? uniqueTag();
  const events: BuildEvent[] = [];
  created.push(`${OUTPUT}:${tag}`);
  const result = await buildImage(engine, testSettings(), {
    builder: BUILDER,
    repository: OUTPUT,
    tag,
    source: () => tarOf({ 'line.txt': `${line}\n`, ...files }),
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { result, tag, events, log: events.flatMap((event) => (event.kind === 'log' ? [event.line] : [])) };
}

beforeAll(async () => {
  await Promise.all([
    buildTestBuilder(BUILDER, { assemble: ASSEMBLE, 'save-artifacts': SAVE_ARTIFACTS, run: RUN }, DOCKERFILE),
    buildTestBuilder(NO_SAVE_BUILDER, { assemble: ASSEMBLE, run: RUN }, DOCKERFILE),
  ]);
});

afterAll(async () => {
  await removeImages(...created, BUILDER, NO_SAVE_BUILDER);
});

describe('build/build-image incremental builds (real engine)', () => {
  it('restores the previous image artifacts into /tmp/artifacts, owned by the assemble user, and says so in the log', async () => {
    const first = await build('first', { incremental: true });

    const second = await build('second', { incremental: true, previousImage: first.result.reference });

    expect(first.result.incremental).toBe(false);
    expect(second.result).toMatchObject({ incremental: true, restoredFrom: first.result.reference, scripts: { 'save-artifacts': 'image' } });
    expect(second.log).toEqual(
      expect.arrayContaining([
        `incremental: running save-artifacts (/usr/libexec/s2i/save-artifacts) in ${first.result.reference}`,
        '---> saving history',
        expect.stringMatching(new RegExp(`^incremental: restored 1 file \\(6 B\\) from ${escape(first.result.reference)} into /tmp/artifacts$`)),
        '---> restored 1 lines, owned by 1001:0 1001:0 ',
      ]),
    );
    expect(second.events.filter((event) => event.kind === 'phase').map((event) => (event as { phase: string }).phase)).toEqual([
      'builder',
      'source',
      'artifacts',
      'assemble',
      'commit',
    ]);
    expect(await runInImage(second.result.reference, [])).toEqual({ exitCode: 0, output: 'first\nsecond\n' });
    expect(await leftoverBuildContainers(second.tag)).toEqual([]);
  });

  it('takes the previous image from repository:tag when none is named, as s2i does', async () => {
    const tag = uniqueTag();
    await build('one', { tag, incremental: true });

    const again = await build('two', { tag, incremental: true });

    expect(again.result.incremental).toBe(true);
    expect(await runInImage(again.result.reference, [])).toEqual({ exitCode: 0, output: 'one\ntwo\n' });
  });

  it('builds clean, with a note, when there is no previous image', async () => {
    const absent = `${OUTPUT}:never-built`;

    const { result, log, tag } = await build('only', { incremental: true, previousImage: absent });

    expect(result.incremental).toBe(false);
    expect(log).toContainEqual(expect.stringMatching(new RegExp(`^incremental: clean build: there is no previous image ${escape(absent)} on the engine and it could not be pulled \\(.+\\)$`)));
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'only\n' });
    expect(await leftoverBuildContainers(tag)).toEqual([]);
  });

  it('builds clean, with a note, when the previous image has no save-artifacts', async () => {
    const first = await build('first', { builder: NO_SAVE_BUILDER });

    const second = await build('second', { builder: NO_SAVE_BUILDER, incremental: true, previousImage: first.result.reference });

    expect(second.result.incremental).toBe(false);
    expect(second.log).toContain(
      `incremental: clean build: the previous image ${first.result.reference} has no save-artifacts script (looked for /usr/libexec/s2i/save-artifacts)`,
    );
    expect(await runInImage(second.result.reference, [])).toEqual({ exitCode: 0, output: 'second\n' });
    expect(await leftoverBuildContainers(second.tag)).toEqual([]);
  });

  it('builds clean, with a note and its stderr, when save-artifacts exits non-zero; the source script wins over the image', async () => {
    const first = await build('first');
    const failing = { '.s2i/bin/save-artifacts': { content: '#!/bin/sh\necho "cannot save: disk on fire" >&2\nexit 3\n', mode: 0o755 } };

    const second = await build('second', { incremental: true, previousImage: first.result.reference }, failing);

    expect(second.result.incremental).toBe(false);
    expect(second.log).toEqual(
      expect.arrayContaining([
        `incremental: running save-artifacts (.s2i/bin/save-artifacts) in ${first.result.reference}`,
        'cannot save: disk on fire',
        `incremental: clean build: save-artifacts in ${first.result.reference} exited with code 3`,
      ]),
    );
    expect(await runInImage(second.result.reference, [])).toEqual({ exitCode: 0, output: 'second\n' });
    expect(await leftoverBuildContainers(second.tag)).toEqual([]);
  });

  it('builds clean, with a note, when save-artifacts writes something that is not a tar', async () => {
    const first = await build('first');
    const chatty = { '.s2i/bin/save-artifacts': { content: '#!/bin/sh\necho "here are my artifacts"\n', mode: 0o755 } };

    const second = await build('second', { incremental: true, previousImage: first.result.reference }, chatty);

    expect(second.result.incremental).toBe(false);
    expect(second.log).toContainEqual(expect.stringMatching(new RegExp(`^incremental: clean build: the output of save-artifacts in ${escape(first.result.reference)} is not a tar archive \\(.+\\)$`)));
    expect(await runInImage(second.result.reference, [])).toEqual({ exitCode: 0, output: 'second\n' });
  });

  it('builds clean, with a note, when save-artifacts saves nothing', async () => {
    const first = await build('first');
    const empty = { '.s2i/bin/save-artifacts': { content: '#!/bin/sh\nexit 0\n', mode: 0o755 } };

    const second = await build('second', { incremental: true, previousImage: first.result.reference }, empty);

    expect(second.result.incremental).toBe(false);
    expect(second.log).toContain(`incremental: clean build: save-artifacts in ${first.result.reference} saved no files`);
  });

  it('keeps a hostile save-artifacts output inside /tmp/artifacts: traversal, absolute paths, links out are left out', async () => {
    // The previous build's source carries the crafted tar; the new source's save-artifacts prints it.
    const first = await build('first', {}, { 'evil.tar': await evilArtifactsTar() });
    const replay = { '.s2i/bin/save-artifacts': { content: '#!/bin/sh\nexec cat /tmp/src/evil.tar\n', mode: 0o755 } };

    const second = await build('second', { incremental: true, previousImage: first.result.reference }, replay);

    expect(second.result.incremental).toBe(true);
    const probe = await runInImage(second.result.reference, [
      'sh',
      '-c',
      'for f in /etc/s2i-evil /tmp/s2i-evil /s2i-abs /etc/s2i-through-link /tmp/artifacts/passwd-link; do test -e "$f" && echo "FOUND $f"; done; ls -A /tmp/artifacts | sort',
    ]);
    expect(probe).toEqual({ exitCode: 0, output: 'escape\nhistory.txt\ns2i-abs\n' });
    expect(await runInImage(second.result.reference, [])).toEqual({ exitCode: 0, output: 'restored\nsecond\n' });
  });

  it('does not run save-artifacts when the build is not incremental', async () => {
    const first = await build('first');

    const second = await build('second', { incremental: false, previousImage: first.result.reference });

    expect(second.result.incremental).toBe(false);
    expect(second.log.filter((line) => line.startsWith('incremental:'))).toEqual([]);
    expect(await docker.listContainers({ all: true, filters: { ancestor: [first.result.reference] } })).toEqual([]);
  });
});

/** A save-artifacts output that tries every way out of /tmp/artifacts a tar can express (ASCII only, so it survives as text). */
async function evilArtifactsTar(): Promise<string> {
  const pack = tar.pack();
  pack.entry({ name: 'history.txt', mode: 0o644 }, 'restored\n');
  pack.entry({ name: '../../etc/s2i-evil', mode: 0o644 }, 'traversal');
  pack.entry({ name: 'sub/../../../tmp/s2i-evil', mode: 0o644 }, 'traversal');
  pack.entry({ name: '/s2i-abs', mode: 0o644 }, 'absolute');
  pack.entry({ name: 'escape', type: 'symlink', linkname: '/etc' });
  pack.entry({ name: 'escape/s2i-through-link', mode: 0o644 }, 'through a link');
  pack.entry({ name: 'passwd-link', type: 'link', linkname: '/etc/passwd' });
  pack.finalize();
  return (await buffer(pack)).toString('latin1');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
