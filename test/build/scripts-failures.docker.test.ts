import { jest } from '@jest/globals';
import { BuildError } from '../../src/build/build-error.js';
import { buildImage } from '../../src/build/build-image.js';
import { parseScriptsUrl } from '../../src/build/script-source-url.js';
import type { BuildSettings } from '../../src/settings/build-settings.js';
import { parseAllowedUids } from '../../src/settings/build-settings.js';
import { buildTestBuilder, docker, engine, leftoverBuildContainers, removeImages, tarOf, testSettings, uniqueTag, type FileTree } from '../support/docker.js';
import { closedPortUrl, ScriptServer } from './scripts-http-server.js';

jest.setTimeout(60_000);

/** Bad scripts URLs, users and sources: each a clear message at the right step, no container and no image left. */

const RUN_ID = uniqueTag();
const OUTPUT = `s2i-bot-test/scripts-failures-${RUN_ID}`;
const builderTag = (name: string) => `s2i-bot-test/scripts-failures-${name}:${RUN_ID}`;
const ASSEMBLE = '#!/bin/sh\nset -e\ncp -R /tmp/src/. /opt/app/\n';
const RUN = '#!/bin/sh\nexec cat /opt/app/message.txt\n';
const SCRIPTS = { assemble: ASSEMBLE, run: RUN };
const APP_DIR = 'RUN mkdir -p /opt/app && chmod 777 /opt/app';
const IMAGE_LABEL = 'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i';
const SOURCE_SCRIPTS: FileTree = { '.s2i/bin/assemble': { content: ASSEMBLE, mode: 0o755 }, '.s2i/bin/run': { content: RUN, mode: 0o755 } };

const server = new ScriptServer();

const builders = {
  image: builderTag('image'),
  missingPath: builderTag('missing-path'),
  http404: builderTag('http-404'),
  fileLabel: builderTag('file-label'),
  root: builderTag('root'),
  namedRoot: builderTag('named-root'),
  noTar: builderTag('no-tar'),
};

beforeAll(async () => {
  await server.start();
  server.on('/large/assemble', (_request, response) => response.writeHead(200).end(Buffer.alloc(1024 * 1024 + 1, '#')));
  await Promise.all([
    buildTestBuilder(builders.image, SCRIPTS, [IMAGE_LABEL, APP_DIR, 'USER 1001']),
    buildTestBuilder(builders.missingPath, SCRIPTS, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/nope', APP_DIR, 'USER 1001']),
    buildTestBuilder(builders.http404, {}, [`LABEL io.openshift.s2i.scripts-url=${server.base}/missing/`, APP_DIR, 'USER 1001']),
    buildTestBuilder(builders.fileLabel, {}, ['LABEL io.openshift.s2i.scripts-url=file:///etc', APP_DIR, 'USER 1001']),
    buildTestBuilder(builders.root, SCRIPTS, [IMAGE_LABEL, APP_DIR]),
    buildTestBuilder(builders.namedRoot, SCRIPTS, [IMAGE_LABEL, APP_DIR, 'USER root']),
    buildTestBuilder(builders.noTar, SCRIPTS, [IMAGE_LABEL, APP_DIR, 'RUN rm /bin/tar', 'USER 1001']),
  ]);
});

afterAll(async () => {
  await server.stop();
  await removeImages(...Object.values(builders));
});

/** Runs a build that must fail, and checks that it left no build container and no output image. */
async function failure(builder: string, source: FileTree, settings: Partial<BuildSettings> = {}): Promise<BuildError> {
  const tag = uniqueTag();
  const error = await buildImage(engine, testSettings(settings), { builder, repository: OUTPUT, tag, source: () => tarOf({ 'message.txt': 'x', ...source }) }).then(
    async () => {
      await removeImages(`${OUTPUT}:${tag}`);
      return new Error('the build succeeded');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BuildError);
  expect(await leftoverBuildContainers(tag)).toEqual([]);
  expect(await docker.getImage(`${OUTPUT}:${tag}`).inspect().catch((caught: { statusCode?: number }) => caught.statusCode)).toBe(404);
  return error as BuildError;
}

describe('build/scripts failures on a real engine', () => {
  it('a scripts-url label pointing at a missing image path', async () => {
    const error = await failure(builders.missingPath, {});

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${builders.missingPath} has no assemble script at /usr/libexec/nope/assemble (from its io.openshift.s2i.scripts-url)`);
    expect(error.hint).toContain('/usr/libexec/nope/assemble');
  });

  it('an S2I_SCRIPTS_URL pointing at a missing image path, even when the source has scripts', async () => {
    const error = await failure(builders.image, SOURCE_SCRIPTS, { scriptsUrl: parseScriptsUrl('image:///opt/ops-scripts') });

    expect(error.reason).toBe(`builder image ${builders.image} has no assemble script at /opt/ops-scripts/assemble (from the operator setting S2I_SCRIPTS_URL)`);
  });

  it('an unreachable scripts URL', async () => {
    const base = await closedPortUrl();

    const error = await failure(builders.image, SOURCE_SCRIPTS, { scriptsUrl: parseScriptsUrl(`${base}/s2i`) });

    expect(error.step).toBe('builder');
    expect(error.reason).toMatch(new RegExp(`^(assemble|run|save-artifacts) script from S2I_SCRIPTS_URL: ${base}/s2i/\\S+ could not be downloaded: ECONNREFUSED$`));
    expect(error.hint).toBe('check that the scripts URL is right and its server reachable from the bot, or ship the scripts in .s2i/bin/ of the source');
  });

  it('a scripts URL that answers 404 for assemble', async () => {
    const error = await failure(builders.http404, {});

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`no assemble script was found for builder image ${builders.http404}: the source has no .s2i/bin/assemble, and ${server.base}/missing/assemble answered 404`);
    expect(error.hint).toBe('publish assemble next to the other scripts at that URL, or add .s2i/bin/assemble to the source');
  });

  it('a script over the 1 MiB limit', async () => {
    const error = await failure(builders.image, {}, { scriptsUrl: parseScriptsUrl(`${server.base}/large`) });

    expect(error.reason).toBe(`assemble script from S2I_SCRIPTS_URL: ${server.base}/large/assemble is larger than the 1 MiB an S2I script may be`);
  });

  it("a file:// label when the operator allows no host scripts, so a builder cannot make the bot read the host's files", async () => {
    const error = await failure(builders.fileLabel, {});

    expect(error.reason).toBe(
      "assemble script from io.openshift.s2i.scripts-url: file:///etc/assemble is on the bot's host, and the operator allows no host scripts (S2I_SCRIPTS_DIR is unset)",
    );
  });

  it('a .s2iignore that ignores everything', async () => {
    const error = await failure(builders.image, { '.s2iignore': '*\n', 'index.js': 'app' });

    expect(error.step).toBe('source');
    expect(error.reason).toBe('the source is empty after .s2iignore: the patterns of .s2iignore leave out every file');
    expect(error.hint).toBe('change .s2iignore so that it keeps the files the build needs');
  });

  it('S2I_ALLOWED_UIDS refuses a builder that assembles as root, whatever .s2i/bin brings', async () => {
    const error = await failure(builders.root, SOURCE_SCRIPTS, { allowedUids: parseAllowedUids('1-') });

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${builders.root} would run assemble as root (uid 0) (it sets no USER), which S2I_ALLOWED_UIDS=1- does not allow`);
  });

  it('S2I_ALLOWED_UIDS refuses a named user that resolves to uid 0', async () => {
    const error = await failure(builders.namedRoot, {}, { allowedUids: parseAllowedUids('1-') });

    expect(error.reason).toBe(`builder image ${builders.namedRoot} would run assemble as "root" (uid 0) (its USER "root"), which S2I_ALLOWED_UIDS=1- does not allow`);
  });

  it('stdin injection into a builder without tar in PATH', async () => {
    const error = await failure(builders.noTar, {}, { sourceInjection: 'stdin' });

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(
      `the builder image ${builders.noTar} has no tar in PATH: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin (S2I_SOURCE_INJECTION=stdin extracts the source with the image's own tar, as s2i does)`,
    );
  });

  it('the same builder without tar builds with archive injection (the default)', async () => {
    const tag = uniqueTag();

    try {
      const result = await buildImage(engine, testSettings(), { builder: builders.noTar, repository: OUTPUT, tag, source: () => tarOf({ 'message.txt': 'no tar needed' }) });

      expect(result.scripts).toEqual({ assemble: 'image', run: 'image' });
    } finally {
      await removeImages(`${OUTPUT}:${tag}`);
    }
  });
});
