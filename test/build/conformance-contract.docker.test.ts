import { jest } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage, type BuildEvent, type BuildRequest, type BuildResult } from '../../src/build/build-image.js';
import { parseScriptsUrl } from '../../src/build/script-source-url.js';
import type { BuildSettings } from '../../src/settings/build-settings.js';
import { parseAllowedUids } from '../../src/settings/build-settings.js';
import {
  buildTestBuilder,
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
import { ScriptServer } from './scripts-http-server.js';

jest.setTimeout(60_000);

/**
 * The S2I builder contract, item by item (openshift/source-to-image docs/builder_image.md and docs/cli.md):
 * for each, a busybox builder and a source that show it, and the files, user, command, environment and labels
 * of the output image.
 */

const RUN_ID = uniqueTag();
const OUTPUT = `s2i-bot-test/conformance-${RUN_ID}`;
const builderTag = (name: string) => `s2i-bot-test/conformance-${name}:${RUN_ID}`;

const IMAGE_ASSEMBLE = `#!/bin/sh
set -e
echo "---> image assemble as uid $(id -u)"
echo "---> GREETING=\${GREETING:-unset}"
cp -R "\${S2I_SRC:-/tmp/src}/." /opt/app/
echo image > /opt/app/assembled-by
id -u > /opt/app/assembled-uid
`;
const IMAGE_RUN = '#!/bin/sh\nexec cat /opt/app/message.txt\n';
const scriptFrom = (origin: string) => `#!/bin/sh\nset -e\ncp -R /tmp/src/. /opt/app/\necho ${origin} > /opt/app/assembled-by\n`;
const RUN_FROM = (origin: string) => `#!/bin/sh\necho "run from ${origin}"\nexec cat /opt/app/message.txt\n`;
const APP_DIR = 'RUN mkdir -p /opt/app && chmod 777 /opt/app';

const server = new ScriptServer();
let scriptsDir: string;
const created: string[] = [];

const builders = {
  image: builderTag('image'),
  legacyEnv: builderTag('legacy-env'),
  fileLabel: builderTag('file-label'),
  httpLabel: builderTag('http-label'),
  destination: builderTag('destination'),
  assembleUser: builderTag('assemble-user'),
};

beforeAll(async () => {
  await server.start();
  server.serve('/label/assemble', scriptFrom('http-label'));
  server.serve('/label/run', RUN_FROM('http-label'));
  server.serve('/ops/assemble', scriptFrom('operator-url'));
  scriptsDir = await mkdtemp(join(tmpdir(), 's2i-bot-conformance-scripts-'));
  await mkdir(join(scriptsDir, 'conformance'));
  await writeFile(join(scriptsDir, 'conformance', 'assemble'), scriptFrom('file-label'));
  await writeFile(join(scriptsDir, 'conformance', 'run'), RUN_FROM('file-label'));

  const imageScripts = { assemble: IMAGE_ASSEMBLE, run: IMAGE_RUN };
  await Promise.all([
    buildTestBuilder(builders.image, imageScripts, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', APP_DIR, 'ENV APP_ROOT=/opt/app', 'USER 1001']),
    buildTestBuilder(builders.legacyEnv, imageScripts, ['ENV STI_SCRIPTS_URL=image:///usr/libexec/s2i', APP_DIR, 'USER 1001']),
    // Relative to S2I_SCRIPTS_DIR, so no host path is baked into the image.
    buildTestBuilder(builders.fileLabel, {}, ['LABEL io.openshift.s2i.scripts-url=file://conformance', APP_DIR, 'USER 1001']),
    buildTestBuilder(builders.httpLabel, {}, [`LABEL io.openshift.s2i.scripts-url=${server.base}/label/`, APP_DIR, 'USER 1001']),
    buildTestBuilder(builders.destination, imageScripts, [
      'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i io.openshift.s2i.destination=/opt/dest',
      'RUN mkdir -p /opt/dest && chown 1001:0 /opt/dest',
      APP_DIR,
      'ENV S2I_SRC=/opt/dest/src',
      'USER 1001',
    ]),
    buildTestBuilder(builders.assembleUser, imageScripts, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i io.openshift.s2i.assemble-user=1002', APP_DIR, 'USER 1001']),
  ]);
});

afterAll(async () => {
  await server.stop();
  await rm(scriptsDir, { recursive: true, force: true });
  await removeImages(...created, ...Object.values(builders));
});

interface Case {
  builder: string;
  source: FileTree;
  settings?: Partial<BuildSettings>;
  request?: Partial<BuildRequest>;
}

async function build(item: Case): Promise<{ result: BuildResult; logs: string[]; tag: string }> {
  const tag = uniqueTag();
  const logs: string[] = [];
  created.push(`${OUTPUT}:${tag}`);
  const result = await buildImage(engine, testSettings(item.settings), {
    builder: item.builder,
    repository: OUTPUT,
    tag,
    source: () => tarOf(item.source),
    onEvent: (event: BuildEvent) => {
      if (event.kind === 'log') logs.push(event.line);
      else logs.push(`==> ${event.message}`);
    },
    ...item.request,
  });
  expect(await leftoverBuildContainers(tag)).toEqual([]);
  return { result, logs, tag };
}

async function shell(reference: string, script: string): Promise<string> {
  const { exitCode, output } = await runInImage(reference, ['sh', '-c', script]);
  expect({ exitCode, output }).toEqual({ exitCode: 0, output: expect.any(String) });
  return output;
}

describe('build/conformance: the S2I builder contract on a real engine', () => {
  it('scripts: .s2i/bin of the source, injected at <destination>/scripts, run as the command', async () => {
    const source = { 'message.txt': 'hello', '.s2i/bin/assemble': { content: scriptFrom('source'), mode: 0o755 }, '.s2i/bin/run': { content: RUN_FROM('source'), mode: 0o755 } };

    const { result } = await build({ builder: builders.image, source });

    expect(result.scripts).toEqual({ assemble: 'source', run: 'source' });
    const config = await inspectImageConfig(result.reference);
    expect(config.Cmd).toEqual(['/tmp/scripts/run']);
    expect(config.User).toBe('1001');
    expect(config.Labels).toMatchObject({ 'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i', 'io.openshift.s2i.build.image': builders.image });
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'run from source\nhello' });
    expect(await shell(result.reference, 'cat /opt/app/assembled-by; stat -c "%u %a" /tmp/scripts/run')).toBe('source\n1001 755\n');
  });

  it('scripts: the io.openshift.s2i.scripts-url label with image://', async () => {
    const { result, logs } = await build({ builder: builders.image, source: { 'message.txt': 'from image' } });

    expect(result.scripts).toEqual({ assemble: 'image', run: 'image' });
    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(logs).toContain('==> Running assemble (/usr/libexec/s2i/assemble) as 1001');
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'from image' });
  });

  it('scripts: the legacy STI_SCRIPTS_URL variable', async () => {
    const { result } = await build({ builder: builders.legacyEnv, source: { 'message.txt': 'legacy' } });

    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'legacy' });
  });

  it('scripts: a file:// label, read by the bot inside S2I_SCRIPTS_DIR and injected like .s2i/bin', async () => {
    const { result, logs } = await build({ builder: builders.fileLabel, source: { 'message.txt': 'via file' }, settings: { scriptsDir } });

    expect(result.scripts).toEqual({ assemble: 'url', run: 'url' });
    expect(logs).toContain('==> Running assemble (file://conformance/assemble) as 1001');
    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/tmp/scripts/run']);
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'run from file-label\nvia file' });
    expect(await shell(result.reference, 'cat /opt/app/assembled-by')).toBe('file-label\n');
  });

  it('scripts: an http:// label, downloaded by the bot (not the container, whose network is off)', async () => {
    const { result } = await build({ builder: builders.httpLabel, source: { 'message.txt': 'via http' }, settings: { network: 'none' } });

    expect(result.scripts).toEqual({ assemble: 'url', run: 'url' });
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'run from http-label\nvia http' });
    expect(server.requests).toEqual(expect.arrayContaining(['GET /label/assemble', 'GET /label/run', 'GET /label/save-artifacts']));
  });

  it('scripts: the operator S2I_SCRIPTS_URL wins over .s2i/bin and the label, script by script', async () => {
    const source = { 'message.txt': 'ops', '.s2i/bin/assemble': { content: scriptFrom('source'), mode: 0o755 } };

    const { result } = await build({ builder: builders.image, source, settings: { scriptsUrl: parseScriptsUrl(`${server.base}/ops`) } });

    // assemble from the operator URL; run is not there (404), so it comes from the label as the source has none.
    expect(result.scripts).toEqual({ assemble: 'url', run: 'image' });
    expect(await shell(result.reference, 'cat /opt/app/assembled-by')).toBe('operator-url\n');
    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/usr/libexec/s2i/run']);
  });

  it('scripts: an image:// S2I_SCRIPTS_URL overrides .s2i/bin entirely', async () => {
    const source = { 'message.txt': 'forced', '.s2i/bin/assemble': { content: scriptFrom('source'), mode: 0o755 }, '.s2i/bin/run': { content: RUN_FROM('source'), mode: 0o755 } };

    const { result } = await build({ builder: builders.image, source, settings: { scriptsUrl: parseScriptsUrl('image:///usr/libexec/s2i') } });

    expect(result.scripts).toEqual({ assemble: 'image', run: 'image' });
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'forced' });
  });

  it('destination: io.openshift.s2i.destination places src/ and scripts/ there', async () => {
    const source = { 'message.txt': 'at dest', '.s2i/bin/run': { content: RUN_FROM('source'), mode: 0o755 } };

    const { result } = await build({ builder: builders.destination, source });

    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/opt/dest/scripts/run']);
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'run from source\nat dest' });
    expect(await shell(result.reference, 'ls /opt/dest; test -e /tmp/src && echo "also in /tmp" || echo "not in /tmp"')).toBe('scripts\nsrc\nnot in /tmp\n');
  });

  it('assemble user: io.openshift.s2i.assemble-user runs assemble and owns the source; the image keeps its USER', async () => {
    const { result, logs } = await build({ builder: builders.assembleUser, source: { 'message.txt': 'users' }, settings: { allowedUids: parseAllowedUids('1000-1999') } });

    expect(logs).toContain('---> image assemble as uid 1002');
    expect(await shell(result.reference, 'cat /opt/app/assembled-uid; stat -c %u /tmp/src/message.txt; id -u')).toBe('1002\n1002\n1001\n');
    expect((await inspectImageConfig(result.reference)).User).toBe('1001');
  });

  it('allowed uids: S2I_ALLOWED_UIDS=1- builds a builder that assembles as 1001', async () => {
    const { result } = await build({ builder: builders.image, source: { 'message.txt': 'non-root' }, settings: { allowedUids: parseAllowedUids('1-') } });

    expect(await shell(result.reference, 'cat /opt/app/assembled-uid')).toBe('1001\n');
  });

  it('.s2iignore: listed files never reach the container; the rest is built', async () => {
    const source = {
      'message.txt': 'kept',
      '.s2iignore': '# local files\n*.secret\ntmp\n!keep.secret\n',
      'db.secret': 'password',
      'keep.secret': 'public',
      'tmp/cache.bin': 'cache',
    };

    const { result } = await build({ builder: builders.image, source });

    expect(await shell(result.reference, 'cd /tmp/src && find . -type f | sort; ls -A /opt/app | sort')).toBe(
      './.s2iignore\n./keep.secret\n./message.txt\n.s2iignore\nassembled-by\nassembled-uid\nkeep.secret\nmessage.txt\n',
    );
  });

  it('.s2i/environment: reaches assemble and stays in the image; the build env wins', async () => {
    const source = { 'message.txt': 'env', '.s2i/environment': 'GREETING=from the file\nMODE=debug\n' };

    const { result, logs } = await build({ builder: builders.image, source, request: { env: { MODE: 'release' } } });

    expect(logs).toContain('---> GREETING=from the file');
    const env = (await inspectImageConfig(result.reference)).Env ?? [];
    expect(env).toEqual(expect.arrayContaining(['GREETING=from the file', 'MODE=release', 'APP_ROOT=/opt/app']));
    expect(env).not.toContain('MODE=debug');
  });

  it('stdin injection: the builder extracts the source with its own tar, as the assemble user, leaving no tar file', async () => {
    const source = { 'message.txt': 'by tar', 'dir/nested.txt': 'n', '.s2i/bin/run': { content: RUN_FROM('source'), mode: 0o755 } };

    const { result, logs } = await build({ builder: builders.image, source, settings: { sourceInjection: 'stdin' } });

    expect(logs).toContain('---> image assemble as uid 1001');
    expect(await runInImage(result.reference, [])).toEqual({ exitCode: 0, output: 'run from source\nby tar' });
    expect(await shell(result.reference, 'stat -c "%u %n" /tmp/src/message.txt /tmp/src/dir/nested.txt /tmp/scripts/run; ls -A /tmp | sort')).toBe(
      '1001 /tmp/src/message.txt\n1001 /tmp/src/dir/nested.txt\n1001 /tmp/scripts/run\nscripts\nsrc\n',
    );
    expect((await inspectImageConfig(result.reference)).Cmd).toEqual(['/tmp/scripts/run']);
  });
});
