import { jest } from '@jest/globals';
import { inspectImageConfig, NODEJS_BUILDER, removeImages, runInImage } from '../support/docker.js';
import { answerOf, buildOffline, carriedArtifacts, runSeparated, sourceDirectory, tarEntryNames } from './builder-support.js';

jest.setTimeout(90_000);

const SENTENCE = "Really appreciate your star, that's the power of our life.";
const DEPS_ANSWER = 'hello-node-deps: 200 dependencies loaded (dep1 … dep200)\n';
const SKIPPED = '---> package-lock.json and install settings unchanged since the restored node_modules was installed: skipping npm ci';
const created: string[] = [];

afterAll(async () => {
  await removeImages(...created);
});

describe('templates/builders/nodejs (real engine, offline)', () => {
  it('builds examples/hello-node (no dependencies) into an image that answers, runs as 1001 and keeps the builder environment', async () => {
    const { result, lines } = await buildOffline(NODEJS_BUILDER, 'examples/hello-node', created);

    expect(lines).toContain('---> package.json declares no dependencies, nothing to install');
    expect(await answerOf(result.reference)).toEqual({ status: 200, body: `${SENTENCE}\n` });
    const config = await inspectImageConfig(result.reference);
    expect(config.User).toBe('1001');
    expect(config.Cmd).toEqual(['/usr/libexec/s2i/run']);
    expect(config.WorkingDir).toBe('/opt/app-root/src');
    expect(config.Env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'PORT=8080', 'HOME=/opt/app-root/src', 'NPM_CONFIG_CACHE=/tmp/.npm']));
    const saved = await runSeparated(result.reference, ['/usr/libexec/s2i/save-artifacts']);
    expect(saved.exitCode).toBe(0);
    expect(await tarEntryNames(saved.stdout)).toEqual([]);
  });

  describe('examples/hello-node-deps (200 vendored packages)', () => {
    let first: Awaited<ReturnType<typeof buildOffline>>;
    let artifacts: Buffer;

    beforeAll(async () => {
      first = await buildOffline(NODEJS_BUILDER, 'examples/hello-node-deps', created);
      const saved = await runSeparated(first.result.reference, ['/usr/libexec/s2i/save-artifacts']);
      expect(saved.exitCode).toBe(0);
      artifacts = saved.stdout;
    });

    it('installs with npm ci offline into an image whose app loads every package', async () => {
      expect(first.lines).toContain('---> Installing 200 dependencies with npm ci');
      expect(await answerOf(first.result.reference)).toEqual({ status: 200, body: DEPS_ANSWER });
      const image = await runInImage(first.result.reference, ['sh', '-c', 'ls -A /opt/app-root/src; ls -A /tmp']);
      expect(image.output.split('\n')).not.toContain('.npm');
    });

    it('save-artifacts writes a tar of node_modules with its lockfile hash to stdout, and nothing else', async () => {
      const names = await tarEntryNames(artifacts);

      expect(names).toContain('node_modules/.s2i-lock-hash');
      expect(names).toContain('node_modules/hello-dep-200/package.json');
      expect(names.filter((name) => !name.startsWith('node_modules/'))).toEqual([]);
    });

    it('restores node_modules and skips npm ci when the lockfile is unchanged', async () => {
      const source = await sourceDirectory('examples/hello-node-deps', carriedArtifacts(artifacts));

      const { result, lines } = await buildOffline(NODEJS_BUILDER, source.path, created).finally(source.remove);

      expect(lines).toContain('---> Restoring node_modules from the previous build');
      expect(lines).toContain(SKIPPED);
      expect(lines).not.toContain('---> Installing 200 dependencies with npm ci');
      expect(await answerOf(result.reference)).toEqual({ status: 200, body: DEPS_ANSWER });
    });

    it('builds incrementally through the engine: restores node_modules from the previous image and skips npm ci', async () => {
      const { result, lines } = await buildOffline(NODEJS_BUILDER, 'examples/hello-node-deps', created, { previousImage: first.result.reference });

      expect(lines).toContain(`incremental: running save-artifacts (/usr/libexec/s2i/save-artifacts) in ${first.result.reference}`);
      expect(lines.some((line) => line.startsWith(`incremental: restored `) && line.endsWith(` from ${first.result.reference} into /tmp/artifacts`))).toBe(true);
      expect(lines).toContain('---> Restoring node_modules from the previous build');
      expect(lines).toContain(SKIPPED);
      expect(result.incremental).toBe(true);
      expect(await answerOf(result.reference)).toEqual({ status: 200, body: DEPS_ANSWER });
    });

    it('runs npm ci over the restored node_modules when the install settings changed, and records the new hash', async () => {
      const source = await sourceDirectory('examples/hello-node-deps', carriedArtifacts(artifacts));

      const { result, lines } = await buildOffline(NODEJS_BUILDER, source.path, created, { env: { NPM_INSTALL_ARGS: '--ignore-scripts' } }).finally(source.remove);

      expect(lines).toContain('---> package-lock.json or install settings changed: npm ci replaces the restored node_modules');
      expect(lines).toContain('---> Installing 200 dependencies with npm ci');
      const hashes = await runInImage(result.reference, ['cat', 'node_modules/.s2i-lock-hash']);
      const before = await runInImage(first.result.reference, ['cat', 'node_modules/.s2i-lock-hash']);
      expect(hashes.output).toMatch(/^[0-9a-f]{64}\n$/);
      expect(hashes.output).not.toBe(before.output);
    });
  });

  it('documents its environment variables in usage (the builder image\'s default command)', async () => {
    const usage = await runInImage(NODEJS_BUILDER, []);

    expect(usage.exitCode).toBe(0);
    for (const name of ['NPM_INSTALL_ARGS', 'NPM_BUILD', 'NODE_ENV', 'NPM_CONFIG_REGISTRY', 'NPM_RUN', 'PORT']) expect(usage.output).toContain(name);
  });
});
