import { jest } from '@jest/globals';
import { buildImage, type BuildEngineSettings, type BuildRequest, type BuildResult } from '../../src/build/build-image.js';
import { buildTestBuilder, engine, inspectImageConfig, leftoverBuildContainers, removeImages, runInImage, tarOf, testSettings, uniqueTag, type FileTree } from '../support/docker.js';

jest.setTimeout(60_000);

/**
 * The builder contract items of incremental builds, runtime images and the build proxy, one builder/source pair
 * each, judged by what matters to a user: the files, user, command, environment and labels of the output image.
 */

const RUN_ID = uniqueTag();
const IMAGES = {
  builder: `s2i-bot-test/conformance-builder:${RUN_ID}`,
  noSave: `s2i-bot-test/conformance-no-save:${RUN_ID}`,
  runtime: `s2i-bot-test/conformance-runtime:${RUN_ID}`,
};
const OUTPUT = `127.0.0.1:5000/s2i-bot-test/conformance-${RUN_ID}`;

// assemble installs the source into /opt/app and counts builds in /opt/app/deps (restored from /tmp/artifacts).
const ASSEMBLE = `#!/bin/sh
set -e
cp -R /tmp/src/. /opt/app/
mkdir -p /opt/app/deps
if [ -d /tmp/artifacts/deps ]; then cp -R /tmp/artifacts/deps/. /opt/app/deps/; fi
echo build >> /opt/app/deps/builds
env | grep -i '^http_proxy=' | sort > /opt/app/proxy-seen || true
`;
const SCRIPTS = {
  assemble: ASSEMBLE,
  'save-artifacts': '#!/bin/sh\ncd /opt/app && tar cf - deps\n',
  run: '#!/bin/sh\nexec cat /opt/app/message.txt\n',
};
const BUILDER_LINES = [
  'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i org.example.from=builder',
  'RUN mkdir -p /opt/app /usr/local/toolchain && touch /usr/local/toolchain/compiler && chown 1001:0 /opt/app',
  'ENV APP_ROOT=/opt/app',
  'USER 1001',
];

interface Expected {
  /** Files of the output image and their content. */
  files: Record<string, string>;
  /** Paths the output image must not have. */
  absent?: string[];
  user: string;
  cmd: string[];
  /** Entries Config.Env must hold. */
  env: string[];
  /** Config.Env must have no entry matching this. */
  envNot?: RegExp;
  labels: Record<string, string>;
  labelsNot?: string[];
  result: Partial<BuildResult>;
}

interface Row {
  item: string;
  request: Omit<Partial<BuildRequest>, 'builder' | 'runtimeImage'> & { builder: keyof typeof IMAGES; runtimeImage?: keyof typeof IMAGES };
  source: FileTree;
  settings?: Partial<BuildEngineSettings>;
  /** Build the same request once before, and name that image as the previous one. */
  twice?: boolean;
  expect: Expected;
}

const MESSAGE = { 'message.txt': 'hello' };
const BUILDER_LABELS = { 'io.openshift.s2i.build.image': IMAGES.builder };

const TABLE: Row[] = [
  {
    item: 'incremental: save-artifacts of the previous image is restored before assemble',
    request: { builder: 'builder', incremental: true },
    source: MESSAGE,
    twice: true,
    expect: {
      files: { '/opt/app/deps/builds': 'build\nbuild\n', '/opt/app/message.txt': 'hello' },
      user: '1001',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['APP_ROOT=/opt/app'],
      labels: { ...BUILDER_LABELS, 'org.example.from': 'builder' },
      result: { incremental: true, scripts: { assemble: 'image', run: 'image', 'save-artifacts': 'image' } },
    },
  },
  {
    item: 'incremental: a builder without save-artifacts builds clean',
    request: { builder: 'noSave', incremental: true },
    source: MESSAGE,
    twice: true,
    expect: {
      files: { '/opt/app/deps/builds': 'build\n' },
      user: '1001',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['APP_ROOT=/opt/app'],
      labels: { 'io.openshift.s2i.build.image': IMAGES.noSave },
      result: { incremental: false },
    },
  },
  {
    item: 'incremental: the source .s2i/bin/save-artifacts runs in the previous image',
    request: { builder: 'builder', incremental: true },
    source: { ...MESSAGE, '.s2i/bin/save-artifacts': { content: '#!/bin/sh\ncd /opt/app && tar cf - deps message.txt\n', mode: 0o755 } },
    twice: true,
    expect: {
      files: { '/opt/app/deps/builds': 'build\nbuild\n', '/tmp/artifacts/message.txt': 'hello' },
      user: '1001',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['APP_ROOT=/opt/app'],
      labels: BUILDER_LABELS,
      result: { incremental: true, scripts: { assemble: 'image', run: 'image', 'save-artifacts': 'source' } },
    },
  },
  {
    item: 'runtime image: the mapped artifact lands under WORKDIR/<destination>, the toolchain stays behind',
    request: { builder: 'builder', runtimeImage: 'runtime', runtimeArtifacts: [{ source: '/opt/app/message.txt', destination: 'app' }], env: { MODE: 'release' } },
    source: MESSAGE,
    expect: {
      files: { '/srv/app/message.txt': 'hello', '/srv/assembled': 'runtime MODE=release\n' },
      absent: ['/usr/local/toolchain/compiler', '/opt/app', '/usr/libexec/s2i/assemble'],
      user: '1002',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['MODE=release', 'SERVE_ROOT=/srv'],
      envNot: /^APP_ROOT=/,
      labels: { ...BUILDER_LABELS, 'org.example.from': 'runtime' },
      labelsNot: ['io.s2i-bot.build.cache-image'],
      result: { incremental: false, scripts: { assemble: 'image', run: 'image', 'assemble-runtime': 'image' } },
    },
  },
  {
    item: 'runtime image: io.openshift.s2i.assemble-input-files names the artifacts when the build does not',
    request: { builder: 'builder', runtimeImage: 'runtime' },
    source: MESSAGE,
    expect: {
      files: { '/srv/message.txt': 'hello', '/srv/lib/deps/builds': 'build\n' },
      user: '1002',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['SERVE_ROOT=/srv'],
      labels: BUILDER_LABELS,
      result: { incremental: false },
    },
  },
  {
    item: 'runtime image + incremental: the builder side is kept as <tag>-s2i-cache and restored from',
    request: { builder: 'builder', runtimeImage: 'runtime', incremental: true },
    source: MESSAGE,
    twice: true,
    expect: {
      files: { '/srv/lib/deps/builds': 'build\nbuild\n' },
      absent: ['/usr/local/toolchain/compiler'],
      user: '1002',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['SERVE_ROOT=/srv'],
      labels: BUILDER_LABELS,
      result: { incremental: true },
    },
  },
  {
    item: 'proxy: assemble sees the operator proxy, the image keeps none of it',
    request: { builder: 'builder' },
    source: MESSAGE,
    settings: { proxy: { httpProxy: 'http://proxy.internal:3128', httpsProxy: undefined, noProxy: undefined } },
    expect: {
      files: { '/opt/app/proxy-seen': 'HTTP_PROXY=http://proxy.internal:3128\nhttp_proxy=http://proxy.internal:3128\n' },
      user: '1001',
      cmd: ['/usr/libexec/s2i/run'],
      env: ['APP_ROOT=/opt/app'],
      envNot: /proxy/i,
      labels: BUILDER_LABELS,
      result: { incremental: false },
    },
  },
];

const created: string[] = [];

beforeAll(async () => {
  await Promise.all([
    buildTestBuilder(IMAGES.builder, SCRIPTS, BUILDER_LINES),
    buildTestBuilder(IMAGES.noSave, { assemble: SCRIPTS.assemble, run: SCRIPTS.run }, BUILDER_LINES),
    buildTestBuilder(
      IMAGES.runtime,
      {
        'assemble-runtime': '#!/bin/sh\nset -e\necho "runtime MODE=${MODE:-unset}" > assembled\n',
        run: '#!/bin/sh\nexec cat /srv/message.txt\n',
      },
      [
        'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i org.example.from=runtime io.openshift.s2i.assemble-input-files="/opt/app/message.txt;/opt/app/deps:lib"',
        'RUN mkdir -p /srv && chown 1002:0 /srv',
        'ENV SERVE_ROOT=/srv',
        'WORKDIR /srv',
        'USER 1002',
      ],
    ),
  ]);
});

afterAll(async () => {
  await removeImages(...created, ...Object.values(IMAGES));
});

describe('build/build-image conformance: incremental builds, runtime images, build proxy (real engine)', () => {
  it.each(TABLE.map((row) => [row.item, row] as const))('%s', async (_item, row) => {
    const settings = { ...testSettings(), ...row.settings };
    const build = async (previousImage?: string) => {
      const tag = uniqueTag();
      created.push(`${OUTPUT}:${tag}`, `${OUTPUT}:${tag}-s2i-cache`);
      const { builder, runtimeImage, ...rest } = row.request;
      const result = await buildImage(engine, settings, {
        ...rest,
        builder: IMAGES[builder],
        ...(runtimeImage ? { runtimeImage: IMAGES[runtimeImage] } : {}),
        ...(previousImage ? { previousImage } : {}),
        repository: OUTPUT,
        tag,
        source: () => tarOf(row.source),
      });
      return { result, tag };
    };

    const previous = row.twice ? await build() : undefined;
    const { result, tag } = await build(previous?.result.reference);

    const config = await inspectImageConfig(result.reference);
    expect(result).toMatchObject(row.expect.result);
    expect({ user: config.User, cmd: config.Cmd }).toEqual({ user: row.expect.user, cmd: row.expect.cmd });
    expect(config.Env).toEqual(expect.arrayContaining(row.expect.env));
    if (row.expect.envNot) expect((config.Env ?? []).filter((entry) => row.expect.envNot?.test(entry))).toEqual([]);
    expect(config.Labels).toMatchObject(row.expect.labels);
    for (const label of row.expect.labelsNot ?? []) expect(config.Labels?.[label]).toBeUndefined();
    const paths = Object.keys(row.expect.files);
    const files = await runInImage(result.reference, ['sh', '-c', 'for f in "$@"; do printf "%s<" "$f"; cat "$f"; printf ">\\n"; done', 'sh', ...paths], { entrypoint: [] });
    expect(files.output).toBe(paths.map((path) => `${path}<${row.expect.files[path]}>\n`).join(''));
    for (const path of row.expect.absent ?? []) expect(await runInImage(result.reference, ['test', '-e', path], { entrypoint: [] })).toEqual({ exitCode: 1, output: '' });
    expect(await leftoverBuildContainers(tag)).toEqual([]);
  });
});
