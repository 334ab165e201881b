import { jest } from '@jest/globals';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BuildError } from '../../src/build/build-error.js';
import { buildCommand } from '../../src/cli/build-command.js';
import { engine, HTML_BUILDER, inspectImageConfig, leftoverBuildContainers, NODEJS_BUILDER, removeImages, uniqueTag } from '../support/docker.js';
import { dockerConfigWith, startRegistry, type TestRegistry } from '../support/registry.js';
import { recorder } from '../support/output-recorder.js';

jest.setTimeout(120_000);

const run = promisify(execFile);


let registry: TestRegistry;
let repo: string;
let sha: string;
const images: string[] = [];

beforeAll(async () => {
  registry = await startRegistry();
  repo = await mkdtemp(join(tmpdir(), 's2i-bot-cli-'));
  await cp('examples/hello-node', repo, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'add', '.');
  git('-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', 'commit', '-q', '-m', 'Say thanks');
  git('remote', 'add', 'origin', 'https://x-access-token:ghs_secret@github.com/acme/hello-node.git');
  sha = git('rev-parse', 'HEAD');
});

afterAll(async () => {
  await registry?.stop();
  await rm(repo, { recursive: true, force: true });
  await removeImages(...images);
});

describe('cli/build-command (real engine and registry)', () => {
  it('builds a git checkout tagged with its commit SHA, pushes it, and reports every phase', async () => {
    const repository = `${registry.address}/acme/hello-node`;
    images.push(`${repository}:${sha}`);
    const { lines, output } = recorder();

    const result = await buildCommand([repo, '--builder', NODEJS_BUILDER, '--image', repository, '--push', '--env', 'GREETING=hi'], engine, output);

    const digest = await registry.manifestDigest('acme/hello-node', sha);
    expect(result.push?.pinned).toBe(`${repository}@${digest}`);
    expect(lines.filter((line) => line.startsWith('==> '))).toEqual([
      `==> Using builder ${NODEJS_BUILDER}`,
      '==> Preparing source',
      '==> Running assemble (/usr/libexec/s2i/assemble) as 1001',
      `==> Committing ${repository}:${sha}`,
      `==> Pushing ${repository}:${sha} to ${registry.address}`,
    ]);
    expect(lines).toContain('    ---> Build complete');
    expect(lines.at(-1)).toBe(`Pushed ${repository}@${digest}`);
    const labels = (await inspectImageConfig(`${repository}:${sha}`)).Labels ?? {};
    expect(labels).toMatchObject({
      'io.openshift.s2i.build.commit.id': sha,
      'io.openshift.s2i.build.commit.ref': 'main',
      'io.openshift.s2i.build.commit.message': 'Say thanks',
      'org.opencontainers.image.source': 'https://github.com/acme/hello-node.git',
    });
    expect(JSON.stringify(labels)).not.toContain('ghs_secret');
  });

  it('warns that a dirty checkout is built as it is on disk', async () => {
    await writeFile(join(repo, 'untracked.txt'), 'local change');
    const { lines, output } = recorder();
    images.push(`s2i-bot-test/cli-dirty:${sha}`);

    try {
      await buildCommand([repo, '--builder', NODEJS_BUILDER, '--image', 's2i-bot-test/cli-dirty', '-q'], engine, output);
    } finally {
      await rm(join(repo, 'untracked.txt'));
    }

    expect(lines[0]).toBe(`warning: ${repo} has uncommitted changes: the image is built from the files as they are, not from ${sha.slice(0, 7)}`);
    expect(lines.some((line) => line.startsWith('    '))).toBe(false);
  });

  it('pulls a builder that is not on the engine with the DOCKER_CONFIG credentials of its registry', async () => {
    const credentials = { username: 'builder-reader', password: 'builder-secret' };
    const privateRegistry = await startRegistry(credentials);
    const config = await dockerConfigWith(privateRegistry.address, credentials);
    const builder = `${privateRegistry.address}/builders/html`;
    const auth = { ...credentials, serveraddress: privateRegistry.address };
    await engine.docker.getImage(HTML_BUILDER).tag({ repo: builder, tag: 'v1' });
    await engine.pushImage(builder, 'v1', auth);
    await removeImages(`${builder}:v1`);
    const previous = process.env.DOCKER_CONFIG;
    const { lines, output } = recorder();
    images.push(`s2i-bot-test/cli-pulled:${sha}`);

    try {
      process.env.DOCKER_CONFIG = join(repo, 'no-docker-config');
      const anonymous = await buildCommand([repo, '--builder', `${builder}:v1`, '--image', 's2i-bot-test/cli-pulled'], engine, recorder().output).catch(
        (caught: unknown) => caught as BuildError,
      );
      expect(anonymous).toBeInstanceOf(BuildError);
      expect((anonymous as BuildError).reason).toMatch(
        new RegExp(`^builder image ${privateRegistry.address.replace(/\./g, '\\.')}/builders/html:v1 is not on the Docker engine and could not be pulled: .*no basic auth credentials`),
      );

      process.env.DOCKER_CONFIG = config.dir;
      await buildCommand([repo, '--builder', `${builder}:v1`, '--image', 's2i-bot-test/cli-pulled'], engine, output);

      expect(lines).toContain('    ---> Build complete');
      expect((await inspectImageConfig(`s2i-bot-test/cli-pulled:${sha}`)).Labels?.['io.openshift.s2i.build.image']).toBe(`${builder}:v1`);
    } finally {
      process.env.DOCKER_CONFIG = previous;
      if (previous === undefined) delete process.env.DOCKER_CONFIG;
      await removeImages(`${builder}:v1`);
      await config.remove();
      await privateRegistry.stop();
    }
  });

  describe('as a process', () => {
    beforeAll(() => {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
    });

    it('exits 1 with a one-line reason when assemble fails', async () => {
      const source = await mkdtemp(join(tmpdir(), 's2i-bot-cli-fail-'));
      await mkdir(join(source, '.s2i/bin'), { recursive: true });
      await writeFile(join(source, '.s2i/bin/assemble'), '#!/bin/sh\necho "npm ERR! missing script: build" >&2\nexit 4\n', { mode: 0o755 });

      const failure = await run('node', ['dist/src/cli/main.js', 'build', source, '--builder', NODEJS_BUILDER, '--image', 's2i-bot-test/cli-broken:x']).then(
        () => undefined,
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      await rm(source, { recursive: true, force: true });

      expect(failure?.code).toBe(1);
      const last = failure?.stderr.trim().split('\n').at(-1);
      expect(failure?.stdout).toContain('    npm ERR! missing script: build\n');
      expect(last).toBe('s2i-bot: assemble failed: assemble exited with code 4. Read the last lines of the build log, fix the source or the build environment, and push again.');
    });

    it('cancels on Ctrl-C: kills and removes the build container and exits 130', async () => {
      const source = await mkdtemp(join(tmpdir(), 's2i-bot-cli-cancel-'));
      await mkdir(join(source, '.s2i/bin'), { recursive: true });
      await writeFile(join(source, '.s2i/bin/assemble'), '#!/bin/sh\necho "---> sleeping"\nsleep 60\n', { mode: 0o755 });
      const tag = uniqueTag();
      const child = spawn('node', ['dist/src/cli/main.js', 'build', source, '--builder', NODEJS_BUILDER, '--image', `s2i-bot-test/cli-cancel:${tag}`]);
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

      await new Promise<void>((resolve) =>
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('---> sleeping')) resolve();
        }),
      );
      child.kill('SIGINT');
      const code = await exited;
      await rm(source, { recursive: true, force: true });

      expect(code).toBe(130);
      expect(stderr.trim().split('\n')).toEqual([
        'warning: interrupted: stopping the build and removing its container (Ctrl-C again to quit at once)',
        's2i-bot: assemble failed: the build was cancelled. Start the build again when it is wanted.',
      ]);
      expect(await leftoverBuildContainers(tag)).toEqual([]);
    });

    it('exits 2 when the source directory does not exist', async () => {
      const failure = await run('node', ['dist/src/cli/main.js', 'build', 'no/such/dir', '--builder', NODEJS_BUILDER, '--image', 'x/y']).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );

      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toMatch(/^s2i-bot: no\/such\/dir is not a directory\n\nUsage: s2i-bot build/);
    });

    it('exits 2 with the usage when a required option is missing', async () => {
      const failure = await run('node', ['dist/src/cli/main.js', 'build', 'examples/hello-node', '--image', 'x/y']).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );

      expect(failure?.code).toBe(2);
      expect(failure?.stderr).toMatch(/^s2i-bot: --builder is required\n\nUsage: s2i-bot build <dir> --builder IMAGE --image REPO\[:TAG\]/);
    });
  });
});
