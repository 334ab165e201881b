import { jest } from '@jest/globals';
import { buildImage, type BuildEvent } from '../../src/build/build-image.js';
import type { ProxySettings } from '../../src/settings/proxy-settings.js';
import { buildTestBuilder, engine, inspectImageConfig, leftoverBuildContainers, removeImages, tarOf, testSettings, uniqueTag, type FileTree } from '../support/docker.js';
import { buildErrorOf } from '../support/rejection.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/proxy-builder:${RUN_ID}`;
const RUNTIME = `s2i-bot-test/proxy-runtime:${RUN_ID}`;
const OUTPUT = `127.0.0.1:5000/s2i-bot-test/proxy-app-${RUN_ID}`;
const PASSWORD = 'pr0xy-s3cret';
const PROXY: ProxySettings = {
  httpProxy: `http://ada:${PASSWORD}@proxy.internal:3128`,
  httpsProxy: `http://ada:${PASSWORD}@proxy.internal:3129`,
  noProxy: 'localhost,.internal',
};

// Each script prints the proxy variables it sees, as a build tool that logs its configuration would.
const SHOW = (script: string) => `echo "${script}: HTTP_PROXY=$HTTP_PROXY http_proxy=$http_proxy HTTPS_PROXY=$HTTPS_PROXY https_proxy=$https_proxy NO_PROXY=$NO_PROXY no_proxy=$no_proxy"`;
const ASSEMBLE = `#!/bin/sh\nset -e\n${SHOW('assemble')}\nmkdir -p /opt/app/cache && date > /opt/app/cache/stamp\n`;
const SAVE_ARTIFACTS = `#!/bin/sh\n${SHOW('save-artifacts')} >&2\ncd /opt/app && tar cf - cache\n`;
const ASSEMBLE_RUNTIME = `#!/bin/sh\n${SHOW('assemble-runtime')}\n`;

const created: string[] = [];

beforeAll(async () => {
  await Promise.all([
    buildTestBuilder(BUILDER, { assemble: ASSEMBLE, 'save-artifacts': SAVE_ARTIFACTS, run: '#!/bin/sh\nexit 0\n' }, [
      'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i',
      'RUN mkdir -p /opt/app && chown 1001:0 /opt/app',
      'USER 1001',
    ]),
    buildTestBuilder(RUNTIME, { 'assemble-runtime': ASSEMBLE_RUNTIME, run: '#!/bin/sh\nexit 0\n' }, [
      'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i io.openshift.s2i.assemble-input-files=/opt/app/cache',
      'USER 1002',
    ]),
  ]);
});

afterAll(async () => {
  await removeImages(...created, BUILDER, RUNTIME);
});

async function build(overrides: { incremental?: boolean; previousImage?: string; runtimeImage?: string; fail?: boolean } = {}) {
  const tag = uniqueTag();
  const events: BuildEvent[] = [];
  created.push(`${OUTPUT}:${tag}`, `${OUTPUT}:${tag}-s2i-cache`);
  const source: FileTree = overrides.fail ? { '.s2i/bin/assemble': { content: `#!/bin/sh\n${SHOW('assemble')}\nexit 1\n`, mode: 0o755 } } : {};
  const promise = buildImage(engine, { ...testSettings(), proxy: PROXY }, {
    builder: BUILDER,
    repository: OUTPUT,
    tag,
    source: () => tarOf({ 'app.txt': 'x', ...source }),
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { promise, tag, events, log: () => events.flatMap((event) => (event.kind === 'log' ? [event.line] : [])) };
}

const SEEN = 'HTTP_PROXY=http://***@proxy.internal:3128 http_proxy=http://***@proxy.internal:3128 HTTPS_PROXY=http://***@proxy.internal:3129 https_proxy=http://***@proxy.internal:3129 NO_PROXY=localhost,.internal no_proxy=localhost,.internal';

describe('build/build-image with the operator proxy (real engine)', () => {
  it('exports the proxy to assemble, save-artifacts and assemble-runtime, hides its credentials, and never commits it', async () => {
    const first = await build({ runtimeImage: RUNTIME, incremental: true });
    const firstResult = await first.promise;
    const second = await build({ runtimeImage: RUNTIME, incremental: true, previousImage: firstResult.reference });
    const result = await second.promise;

    expect(result.incremental).toBe(true);
    expect(second.log()).toEqual(expect.arrayContaining([`assemble: ${SEEN}`, `save-artifacts: ${SEEN}`, `assemble-runtime: ${SEEN}`]));
    expect(JSON.stringify([first.events, second.events])).not.toContain(PASSWORD);
    for (const image of [result.reference, result.cacheImage as string]) {
      const env = (await inspectImageConfig(image)).Env ?? [];
      expect(env.filter((entry) => /proxy/i.test(entry))).toEqual([]);
    }
    expect(await leftoverBuildContainers(second.tag)).toEqual([]);
  });

  it('hides the proxy credentials in the log tail of a failed build', async () => {
    const failing = await build({ fail: true });

    const error = await buildErrorOf(failing.promise);

    expect(error.logTail).toContain(`assemble: ${SEEN}`);
    expect(JSON.stringify({ reason: error.reason, hint: error.hint, tail: error.logTail, message: error.message })).not.toContain(PASSWORD);
  });
});
