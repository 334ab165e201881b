import { jest } from '@jest/globals';
import { BuildError } from '../../src/build/build-error.js';
import { buildImage, type BuildEvent, type BuildRequest } from '../../src/build/build-image.js';
import {
  BASE_BUSYBOX,
  buildTestBuilder,
  docker,
  engine,
  inspectImageConfig,
  leftoverBuildContainers,
  removeImages,
  runInImage,
  tarOf,
  testSettings,
  uniqueTag,
  type FileTree,
} from '../support/docker.js';
import { buildErrorOf } from '../support/rejection.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/compiler:${RUN_ID}`;
const RUNTIME = `s2i-bot-test/runtime:${RUN_ID}`;
const BARE_RUNTIME = `s2i-bot-test/bare-runtime:${RUN_ID}`;
const OUTPUT = `127.0.0.1:5000/s2i-bot-test/runtime-app-${RUN_ID}`;

// The builder "compiles" main.txt into an executable with its toolchain, and counts its builds in a cache.
const ASSEMBLE = `#!/bin/sh
set -e
test -x /usr/local/toolchain/cc
mkdir -p /opt/app/dist /opt/app/cache
if [ -f /tmp/artifacts/cache/builds ]; then cp /tmp/artifacts/cache/builds /opt/app/cache/builds; fi
echo "x" >> /opt/app/cache/builds
printf '#!/bin/sh\\necho "compiled: %s (build %s)"\\n' "$(cat /tmp/src/main.txt)" "$(wc -l < /opt/app/cache/builds)" > /opt/app/dist/hello
chmod 700 /opt/app/dist/hello
echo "1.0" > /opt/app/VERSION
echo "---> compiled as $(id -u)"
`;
const SAVE_ARTIFACTS = '#!/bin/sh\ncd /opt/app && tar cf - cache\n';
const BUILDER_RUN = '#!/bin/sh\necho "this is the builder, not the runtime"\n';

// The runtime image: no toolchain, its own user and WORKDIR; assemble-runtime checks what it was given.
const ASSEMBLE_RUNTIME = `#!/bin/sh
set -e
echo "---> assemble-runtime as $(id -u) in $(pwd) GREETING=\${GREETING:-unset}"
stat -c '%u %a %n' dist/hello
echo runtime > assembled-by
`;
const RUNTIME_RUN = '#!/bin/sh\nexec /opt/runtime/dist/hello\n';

const created: string[] = [];

function request(overrides: Partial<BuildRequest> = {}, files: FileTree = {}): BuildRequest & { events: BuildEvent[] } {
  const tag = uniqueTag();
  const events: BuildEvent[] = [];
  created.push(`${OUTPUT}:${tag}`);
  return {
    builder: BUILDER,
    repository: OUTPUT,
    tag,
    runtimeImage: RUNTIME,
    source: () => tarOf({ 'main.txt': 'hello', ...files }),
    onEvent: (event) => events.push(event),
    events,
    ...overrides,
  };
}

function logOf(events: BuildEvent[]): string[] {
  return events.flatMap((event) => (event.kind === 'log' ? [event.line] : []));
}

beforeAll(async () => {
  await Promise.all([
    buildTestBuilder(BUILDER, { assemble: ASSEMBLE, 'save-artifacts': SAVE_ARTIFACTS, run: BUILDER_RUN }, [
      'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i',
      'RUN mkdir -p /usr/local/toolchain /opt/app && echo cc > /usr/local/toolchain/cc && chmod 755 /usr/local/toolchain/cc && chown 1001:0 /opt/app',
      'USER 1001',
    ]),
    buildTestBuilder(RUNTIME, { 'assemble-runtime': ASSEMBLE_RUNTIME, run: RUNTIME_RUN }, [
      'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i io.openshift.s2i.assemble-input-files="/opt/app/dist;/opt/app/VERSION:meta" org.example.runtime=yes',
      'RUN mkdir -p /opt/runtime && chown 1002:0 /opt/runtime',
      'ENV RUNTIME_HOME=/opt/runtime',
      'WORKDIR /opt/runtime',
      'USER 1002',
    ]),
    buildTestBuilder(BARE_RUNTIME, {}, ['USER 1002']),
  ]);
});

afterAll(async () => {
  await removeImages(...created, BUILDER, RUNTIME, BARE_RUNTIME);
});

describe('build/build-image with a runtime image (real engine)', () => {
  it('ships the runtime image with the artifact: it runs, and it lacks the builder toolchain', async () => {
    const build = request({ runtimeArtifacts: [{ source: '/opt/app/dist', destination: '.' }], env: { GREETING: 'hi' } });

    const result = await buildImage(engine, testSettings(), build);

    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'compiled: hello (build 1)\n' });
    expect(await runInImage(result.reference, ['sh', '-c', 'test -e /usr/local/toolchain/cc && echo toolchain; test -e /usr/libexec/s2i/assemble && echo builder-scripts; cat assembled-by'])).toEqual({
      exitCode: 0,
      output: 'runtime\n',
    });
    expect(logOf(build.events)).toEqual(
      expect.arrayContaining([
        '---> compiled as 1001',
        'runtime: copied /opt/app/dist to /opt/runtime (1 file, 43 B)',
        '---> assemble-runtime as 1002 in /opt/runtime GREETING=hi',
        '1002 755 dist/hello',
      ]),
    );
    expect(build.events.filter((event) => event.kind === 'phase').map((event) => (event as { phase: string }).phase)).toEqual([
      'builder',
      'source',
      'assemble',
      'runtime',
      'commit',
    ]);
    const config = await inspectImageConfig(result.reference);
    expect(config.Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(config.User).toBe('1002');
    expect(config.WorkingDir).toBe('/opt/runtime');
    expect(config.Env).toEqual(expect.arrayContaining(['RUNTIME_HOME=/opt/runtime', 'GREETING=hi']));
    expect(config.Labels).toMatchObject({ 'org.example.runtime': 'yes', 'io.openshift.s2i.build.image': BUILDER });
    expect(config.Labels?.['io.s2i-bot.build.cache-image']).toBeUndefined();
    expect(result.scripts).toEqual({ assemble: 'image', run: 'image', 'assemble-runtime': 'image' });
    expect(result.cacheImage).toBeUndefined();
    expect(await leftoverBuildContainers(build.tag)).toEqual([]);
  });

  it('copies what the runtime image label lists when the build names nothing, into the given subdirectories', async () => {
    const build = request();

    const result = await buildImage(engine, testSettings(), build);

    expect(await runInImage(result.reference, ['sh', '-c', 'find . -type f | sort; stat -c "%a %n" meta/VERSION'])).toEqual({
      exitCode: 0,
      output: './assembled-by\n./dist/hello\n./meta/VERSION\n644 meta/VERSION\n',
    });
  });

  it('prefers assemble-runtime and run from the source .s2i/bin, placed under the runtime WORKDIR', async () => {
    const files = {
      '.s2i/bin/assemble-runtime': { content: '#!/bin/sh\necho "---> custom assemble-runtime"\n', mode: 0o755 },
      '.s2i/bin/run': { content: '#!/bin/sh\necho "custom run"; exec ./bin/hello\n', mode: 0o755 },
    };
    const build = request({ runtimeArtifacts: [{ source: '/opt/app/dist/hello', destination: 'bin' }] }, files);

    const result = await buildImage(engine, testSettings(), build);

    expect(result.scripts).toMatchObject({ run: 'source', 'assemble-runtime': 'source' });
    expect(logOf(build.events)).toContain('---> custom assemble-runtime');
    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/opt/runtime/scripts/run']);
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'custom run\ncompiled: hello (build 1)\n' });
  });

  it('names a runtime artifact that assemble did not produce, and leaves no container or image behind', async () => {
    const build = request({ runtimeArtifacts: [{ source: '/opt/app/dist', destination: '.' }, { source: '/opt/app/missing.jar', destination: '.' }] });

    const error = await buildErrorOf(buildImage(engine, testSettings(), build));

    expect(error.step).toBe('assemble');
    expect(error.reason).toBe('runtime artifact /opt/app/missing.jar does not exist in the builder container after assemble');
    expect(error.hint).toContain('fix runtimeArtifacts');
    expect(await leftoverBuildContainers(build.tag)).toEqual([]);
    expect(await docker.getImage(`${OUTPUT}:${build.tag}`).inspect().catch((caught: { statusCode?: number }) => caught.statusCode)).toBe(404);
  });

  it('refuses a mapping s2i refuses before assemble runs', async () => {
    const build = request({ runtimeArtifacts: [{ source: '/opt/app/dist', destination: '../etc' }] });

    const error = await buildErrorOf(buildImage(engine, testSettings(), build));

    expect(error.reason).toBe(`runtime artifact "/opt/app/dist" -> "../etc": the destination cannot start with '..'`);
    expect(logOf(build.events)).not.toContain('---> compiled as 1001');
    expect(await leftoverBuildContainers(build.tag)).toEqual([]);
  });

  it('names the missing assemble-runtime of a runtime image without S2I scripts', async () => {
    const build = request({ runtimeImage: BARE_RUNTIME, runtimeArtifacts: [{ source: '/opt/app/dist', destination: '.' }] });

    const error = await buildErrorOf(buildImage(engine, testSettings(), build));

    expect(error).toBeInstanceOf(BuildError);
    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`runtime image ${BARE_RUNTIME} has no io.openshift.s2i.scripts-url label and the source has no .s2i/bin/assemble-runtime`);
    expect(await leftoverBuildContainers(build.tag)).toEqual([]);
  });

  it('refuses a runtime image that would run as root when S2I_ALLOWED_UIDS is set, as s2i does', async () => {
    const build = request({ runtimeImage: BASE_BUSYBOX, runtimeArtifacts: [{ source: '/opt/app/dist', destination: '.' }] });

    const error = await buildErrorOf(buildImage(engine, testSettings({ allowedUids: [{ from: 1, to: undefined }] }), build));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`runtime image ${BASE_BUSYBOX} would run assemble-runtime as root (it sets no USER), which S2I_ALLOWED_UIDS=1- does not allow`);
    expect(await leftoverBuildContainers(build.tag)).toEqual([]);
  });

  it('reports a failing assemble-runtime with its exit code and log tail', async () => {
    const files = { '.s2i/bin/assemble-runtime': { content: '#!/bin/sh\necho "no room for the app" >&2\nexit 4\n', mode: 0o755 } };
    const build = request({ runtimeArtifacts: [{ source: '/opt/app/dist', destination: '.' }] }, files);

    const error = await buildErrorOf(buildImage(engine, testSettings(), build));

    expect(error.reason).toBe('assemble-runtime exited with code 4');
    expect(error.logTail).toContain('no room for the app');
    expect(await leftoverBuildContainers(build.tag)).toEqual([]);
  });

  it('incremental with a runtime image: keeps the builder side as <tag>-s2i-cache and restores from it next time', async () => {
    const first = request({ incremental: true });
    const firstResult = await buildImage(engine, testSettings(), first);
    const cache = `${OUTPUT}:${first.tag}-s2i-cache`;
    created.push(cache);

    const second = request({ incremental: true, previousImage: firstResult.reference });
    const secondResult = await buildImage(engine, testSettings(), second);
    created.push(`${OUTPUT}:${second.tag}-s2i-cache`);

    expect(firstResult).toMatchObject({ incremental: false, cacheImage: cache });
    expect(firstResult.labels['io.s2i-bot.build.cache-image']).toBe(cache);
    expect(logOf(first.events)).toContain(`incremental: kept the builder side as ${cache} for the next incremental build (not pushed)`);
    expect(secondResult).toMatchObject({ incremental: true, restoredFrom: cache });
    expect(await runInImage(secondResult.reference, [])).toEqual({ exitCode: 0, output: 'compiled: hello (build 2)\n' });
    expect(await runInImage(secondResult.reference, ['sh', '-c', 'test -e /usr/local/toolchain/cc && echo toolchain; true'])).toEqual({ exitCode: 0, output: '' });
    expect((await inspectImageConfig(cache)).Labels?.['io.openshift.s2i.scripts-url']).toBe('image:///usr/libexec/s2i');
    expect(await leftoverBuildContainers(second.tag)).toEqual([]);
  });
});
