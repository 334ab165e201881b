import { jest } from '@jest/globals';
import tar from 'tar-stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BuildError } from '../../src/build/build-error.js';
import { buildErrorOf } from '../support/rejection.js';
import { buildImage, type BuildEvent, type BuildRequest } from '../../src/build/build-image.js';
import { runService, waitForHttp } from '../../src/docker/run-service.js';
import { packDirectory } from '../../src/source/pack-directory.js';
import {
  buildTestBuilder,
  docker,
  engine,
  HTML_BUILDER,
  inspectImageConfig,
  leftoverBuildContainers,
  NODEJS_BUILDER,
  removeImages,
  runInImage,
  tarOf,
  testSettings,
  uniqueTag,
} from '../support/docker.js';

jest.setTimeout(120_000);

const SENTENCE = "Really appreciate your star, that's the power of our life.";
const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/builder:${RUN_ID}`;
const NO_SCRIPTS_BUILDER = `s2i-bot-test/no-scripts:${RUN_ID}`;
const OUTPUT = `s2i-bot-test/app-${RUN_ID}`;

// The test builder copies the source to /opt/app and reports who it runs as and what it was given.
const ASSEMBLE = `#!/bin/sh
set -e
echo "---> assemble as uid $(id -u) gid $(id -g)"
echo "---> GREETING=\${GREETING:-unset}"
cp -R /tmp/src/. /opt/app/
echo image > /opt/app/assembled-by
if [ -n "$FAIL_WITH" ]; then
  echo "---> compiling"
  echo "compile error: missing semicolon in main.c" >&2
  exit "$FAIL_WITH"
fi
`;
const RUN = '#!/bin/sh\nexec cat /opt/app/message.txt\n';

const created: string[] = [];

async function build(overrides: Partial<BuildRequest> & Pick<BuildRequest, 'source'>, events: BuildEvent[] = []) {
  const tag = uniqueTag();
  created.push(`${OUTPUT}:${tag}`);
  const result = await buildImage(engine, testSettings(), {
    builder: BUILDER,
    repository: OUTPUT,
    tag,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { result, tag, events };
}

function logLines(events: BuildEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'log' ? [event.line] : []));
}

async function buildFailure(request: Partial<BuildRequest> & Pick<BuildRequest, 'source'>): Promise<{ error: BuildError; tag: string }> {
  const tag = uniqueTag();
  const lines: string[] = [];
  const error = await buildImage(engine, testSettings(), {
    builder: BUILDER,
    repository: OUTPUT,
    tag,
    onEvent: (event) => event.kind === 'log' && lines.push(event.line),
    ...request,
  }).then(
    () => {
      created.push(`${OUTPUT}:${tag}`);
      throw new Error(`the build succeeded but was expected to fail; its log:\n${lines.join('\n')}`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BuildError);
  return { error: error as BuildError, tag };
}

beforeAll(async () => {
  await buildTestBuilder(BUILDER, { assemble: ASSEMBLE, run: RUN }, [
    'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i',
    'RUN mkdir -p /opt/app && chown 1001:0 /opt/app',
    'ENV APP_ROOT=/opt/app',
    'USER 1001',
  ]);
  await buildTestBuilder(NO_SCRIPTS_BUILDER, {}, ['USER 1001']);
});

afterAll(async () => {
  await removeImages(...created, BUILDER, NO_SCRIPTS_BUILDER);
});

describe('build/build-image (real engine)', () => {
  it('builds examples/hello-node with the bundled Node.js builder into an image that answers over HTTP', async () => {
    const { result } = await build({ builder: NODEJS_BUILDER, source: () => packDirectory('examples/hello-node') });

    const service = await runService(engine, result.reference, 8080);
    try {
      const answer = await waitForHttp(service.hostPort, '/');
      expect(answer).toEqual({ status: 200, body: `${SENTENCE}\n` });
    } finally {
      await service.stop();
    }
  });

  it('builds examples/hello-html with the bundled static HTML builder into an image that serves it', async () => {
    const { result } = await build({ builder: HTML_BUILDER, source: () => packDirectory('examples/hello-html') });

    const service = await runService(engine, result.reference, 8080);
    try {
      const answer = await waitForHttp(service.hostPort, '/');
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(`<p>${SENTENCE}</p>`);
    } finally {
      await service.stop();
    }
  });

  it('labels the image with its source and builder, runs it as non-root, and uses the run script as its command', async () => {
    const commit = {
      sha: 'a'.repeat(40),
      ref: 'main',
      author: 'Ada Lovelace <ada@example.com>',
      date: '2026-11-20T10:00:00Z',
      message: 'Add the greeting\n\nLonger body that is not a label.',
    };

    const { result } = await build({
      source: () => tarOf({ 'message.txt': 'hello' }),
      commit,
      sourceLocation: 'https://github.com/acme/hello',
    });

    const config = await inspectImageConfig(result.reference);
    expect(config.Labels).toMatchObject({
      'org.opencontainers.image.revision': commit.sha,
      'org.opencontainers.image.source': 'https://github.com/acme/hello',
      'io.openshift.s2i.build.commit.id': commit.sha,
      'io.openshift.s2i.build.commit.ref': 'main',
      'io.openshift.s2i.build.commit.author': commit.author,
      'io.openshift.s2i.build.commit.date': commit.date,
      'io.openshift.s2i.build.commit.message': 'Add the greeting',
      'io.openshift.s2i.build.image': BUILDER,
      'io.openshift.s2i.build.source-location': 'https://github.com/acme/hello',
      'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i',
    });
    expect(config.Labels?.['io.openshift.s2i.build.source-context-dir']).toBeUndefined();
    expect(config.User).toBe('1001');
    expect(config.Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(config.Entrypoint ?? []).toEqual([]);
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'hello' });
    expect(await runInImage(result.reference, ['id', '-u'])).toEqual({ exitCode: 0, output: '1001\n' });
  });

  it('runs assemble as the builder user with the source owned by it', async () => {
    const events: BuildEvent[] = [];

    const { result } = await build({ source: () => tarOf({ 'message.txt': 'hi', 'dir/nested.txt': 'n' }) }, events);

    expect(logLines(events)).toContain('---> assemble as uid 1001 gid 0');
    expect(events.filter((event) => event.kind === 'phase').map((event) => (event as { phase: string }).phase)).toEqual([
      'builder',
      'source',
      'assemble',
      'commit',
    ]);
    const owners = await runInImage(result.reference, ['stat', '-c', '%u:%g %n', '/tmp/src', '/tmp/src/message.txt', '/tmp/src/dir/nested.txt']);
    expect(owners.output.trim().split('\n')).toEqual(['1001:0 /tmp/src', '1001:0 /tmp/src/message.txt', '1001:0 /tmp/src/dir/nested.txt']);
  });

  it('prefers .s2i/bin/assemble from the source over the builder script', async () => {
    const source = () => tarOf({
      'message.txt': 'from source',
      '.s2i/bin/assemble': { content: '#!/bin/sh\nset -e\necho "---> custom assemble"\ncp -R /tmp/src/. /opt/app/\necho source > /opt/app/assembled-by\n', mode: 0o755 },
    });
    const events: BuildEvent[] = [];

    const { result } = await build({ source }, events);

    expect(result.scripts).toEqual({ assemble: 'source', run: 'image' });
    expect(logLines(events)).toContain('---> custom assemble');
    expect(await runInImage(result.reference, ['cat', '/opt/app/assembled-by'])).toEqual({ exitCode: 0, output: 'source\n' });
    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/usr/libexec/s2i/run']);
  });

  it('passes .s2i/environment to assemble and keeps it in the image; build env overrides it', async () => {
    const source = () => tarOf({ 'message.txt': 'x', '.s2i/environment': '# comment\nGREETING=hello from the environment file\nMODE=debug\n' });
    const events: BuildEvent[] = [];

    const { result } = await build({ source, env: { MODE: 'release' } }, events);

    expect(logLines(events)).toContain('---> GREETING=hello from the environment file');
    const env = (await inspectImageConfig(result.reference)).Env ?? [];
    expect(env).toEqual(expect.arrayContaining(['GREETING=hello from the environment file', 'MODE=release', 'APP_ROOT=/opt/app']));
    expect(env).not.toContain('MODE=debug');
  });

  it('builds only the contextDir subdirectory and records it in a label', async () => {
    const source = () => tarOf({ 'README.md': 'top', 'apps/web/message.txt': 'web app', 'apps/api/message.txt': 'api app' }, 'acme-hello-abc123/');

    const { result } = await build({ source, stripComponents: 1, contextDir: 'apps/web' });

    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'web app' });
    expect(await runInImage(result.reference, ['ls', '/opt/app'])).toEqual({ exitCode: 0, output: 'assembled-by\nmessage.txt\n' });
    expect((await inspectImageConfig(result.reference)).Labels?.['io.openshift.s2i.build.source-context-dir']).toBe('apps/web');
  });

  it('reports a failing assemble with its exit code and log tail, commits nothing and leaves no container', async () => {
    const { error, tag } = await buildFailure({ source: () => tarOf({ 'message.txt': 'x' }), env: { FAIL_WITH: '3' } });

    expect(error.step).toBe('assemble');
    expect(error.exitCode).toBe(3);
    expect(error.reason).toBe('assemble exited with code 3');
    expect(error.logTail).toEqual(expect.arrayContaining(['---> compiling', 'compile error: missing semicolon in main.c']));
    expect(await leftoverBuildContainers(tag)).toEqual([]);
    expect(await docker.getImage(`${OUTPUT}:${tag}`).inspect().catch((caught: { statusCode?: number }) => caught.statusCode)).toBe(404);
  });

  it('stops an assemble that outlives the build timeout and removes its container', async () => {
    const source = () => tarOf({ '.s2i/bin/assemble': { content: '#!/bin/sh\necho "---> sleeping"\nsleep 60\n', mode: 0o755 } });
    const tag = uniqueTag();

    const error = await buildErrorOf(buildImage(engine, testSettings({ timeoutSeconds: 3 }), { builder: BUILDER, repository: OUTPUT, tag, source }));

    expect(error.reason).toBe('assemble did not finish within 3s and was stopped');
    expect(error.logTail).toContain('---> sleeping');
    expect(await leftoverBuildContainers(tag)).toEqual([]);
  });

  it('confines the build container: no capabilities, no new privileges, memory and pids limits, no host mounts', async () => {
    const probe = [
      '#!/bin/sh',
      'grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status',
      'echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"',
      'echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"',
      'echo "socket=$(test -e /var/run/docker.sock && echo present || echo absent)"',
      'mkdir -p /opt/app && cp -R /tmp/src/. /opt/app/',
    ].join('\n');
    const events: BuildEvent[] = [];
    const tag = uniqueTag();
    created.push(`${OUTPUT}:${tag}`);

    await buildImage(engine, testSettings({ memoryBytes: 256 * 1024 * 1024, pidsLimit: 64 }), {
      builder: BUILDER,
      repository: OUTPUT,
      tag,
      source: () => tarOf({ 'message.txt': 'x', '.s2i/bin/assemble': { content: probe, mode: 0o755 } }),
      onEvent: (event) => events.push(event),
    });

    expect(logLines(events)).toEqual(
      expect.arrayContaining([
        'CapEff:\t0000000000000000',
        'CapBnd:\t0000000000000000',
        'NoNewPrivs:\t1',
        `memory=${256 * 1024 * 1024}`,
        'pids=64',
        'socket=absent',
      ]),
    );
  });

  it('gives assemble the operator CA bundle read-only and keeps it and its variables out of the image', async () => {
    const dir = await mkdtemp(join(tmpdir(), 's2i-bot-ca-'));
    const bundle = join(dir, 'ca.crt');
    await writeFile(bundle, '-----BEGIN CERTIFICATE-----\nTESTONLY\n-----END CERTIFICATE-----\n');
    const probe = [
      '#!/bin/sh',
      'echo "node=$NODE_EXTRA_CA_CERTS ssl=$SSL_CERT_FILE requests=$REQUESTS_CA_BUNDLE"',
      'sed -n 2p "$NODE_EXTRA_CA_CERTS"',
      'echo tamper >> "$NODE_EXTRA_CA_CERTS" 2>/dev/null && echo "bundle writable" || echo "bundle read-only"',
      'mkdir -p /opt/app && cp -R /tmp/src/. /opt/app/',
    ].join('\n');
    const events: BuildEvent[] = [];

    try {
      const tag = uniqueTag();
      created.push(`${OUTPUT}:${tag}`);
      await buildImage(engine, testSettings({ caBundle: bundle }), {
        builder: BUILDER,
        repository: OUTPUT,
        tag,
        source: () => tarOf({ 'message.txt': 'x', '.s2i/bin/assemble': { content: probe, mode: 0o755 } }),
        onEvent: (event) => events.push(event),
      });

      const target = '/run/s2i-bot/ca-certificates.crt';
      expect(logLines(events)).toEqual(expect.arrayContaining([`node=${target} ssl=${target} requests=${target}`, 'TESTONLY', 'bundle read-only']));
      const config = await inspectImageConfig(`${OUTPUT}:${tag}`);
      expect((config.Env ?? []).filter((entry) => entry.includes(target))).toEqual([]);
      // Only the empty mount point the engine created stays behind; the bundle's content never reaches the image.
      expect(await runInImage(`${OUTPUT}:${tag}`, ['wc', '-c', target])).toEqual({ exitCode: 0, output: `0 ${target}\n` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the scripts-url label when the builder has no scripts and the source brings none', async () => {
    const { error, tag } = await buildFailure({ builder: NO_SCRIPTS_BUILDER, source: () => tarOf({ 'message.txt': 'x' }) });

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${NO_SCRIPTS_BUILDER} has no io.openshift.s2i.scripts-url label and the source has no .s2i/bin/assemble`);
    expect(error.hint).toContain('io.openshift.s2i.scripts-url');
    expect(await leftoverBuildContainers(tag)).toEqual([]);
  });

  it('reports a builder image that is neither on the engine nor pullable', async () => {
    const missing = '127.0.0.1:9/s2i-bot-test/absent:nope';

    const { error } = await buildFailure({ builder: missing, source: () => tarOf({ 'message.txt': 'x' }) });

    expect(error.step).toBe('builder');
    expect(error.reason).toMatch(new RegExp(`^builder image ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not on the Docker engine and could not be pulled: `));
  });

  it('never writes a source entry outside /tmp/src: traversal, absolute paths, escaping links are left out', async () => {
    const events: BuildEvent[] = [];
    const source = () => evilTar();

    const { result } = await build({ source }, events);

    const probe = await runInImage(result.reference, [
      'sh',
      '-c',
      'for f in /etc/s2i-evil /tmp/s2i-evil /s2i-abs /etc/s2i-through-link /etc/passwd-link; do test -e "$f" && echo "FOUND $f"; done; test -L /tmp/src/escape && echo "LINK escape"; ls -A /tmp/src | sort',
    ]);
    // The absolute symlink is left out, so the entry written "through" it lands in a plain directory inside /tmp/src.
    expect(probe).toEqual({ exitCode: 0, output: 'escape\nmessage.txt\nsafe-link\n' });
    expect(await runInImage(result.reference, ['cat', '/tmp/src/escape/s2i-through-link'])).toEqual({ exitCode: 0, output: 'through a link' });
    expect(await runInImage(result.reference, ['readlink', '/tmp/src/safe-link'])).toEqual({ exitCode: 0, output: 'message.txt\n' });
    expect(result.droppedEntries).toBeGreaterThanOrEqual(4);
    const warnings = logLines(events).filter((line) => line.startsWith('warning: left out '));
    expect(warnings.map((line) => line.split(':')[1].trim().replace(/^left out /, ''))).toEqual(
      expect.arrayContaining(['../../etc/s2i-evil', '/s2i-abs', 'escape', 'passwd-link']),
    );
  });
});

/** A source tar that tries every way out of /tmp/src a tarball can express. */
function evilTar(): Readable {
  const pack = tar.pack();
  pack.entry({ name: 'message.txt', mode: 0o644 }, 'fine');
  pack.entry({ name: '../../etc/s2i-evil', mode: 0o644 }, 'traversal');
  pack.entry({ name: 'sub/../../../tmp/s2i-evil', mode: 0o644 }, 'traversal');
  pack.entry({ name: '/s2i-abs', mode: 0o644 }, 'absolute');
  pack.entry({ name: 'escape', type: 'symlink', linkname: '/etc' });
  pack.entry({ name: 'escape/s2i-through-link', mode: 0o644 }, 'through a link');
  pack.entry({ name: 'passwd-link', type: 'link', linkname: '/etc/passwd' });
  pack.entry({ name: 'safe-link', type: 'symlink', linkname: 'message.txt' });
  pack.finalize();
  return pack as unknown as Readable;
}
