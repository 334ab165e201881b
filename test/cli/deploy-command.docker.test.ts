import { jest } from '@jest/globals';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { DEPLOY_USAGE, deployCommand } from '../../src/cli/deploy-command.js';
import { RENDER_USAGE } from '../../src/cli/render-command.js';
import { docker, engine, HTML_BUILDER, leftoverBuildContainers, removeImages } from '../support/docker.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';
import { recorder } from '../support/output-recorder.js';

jest.setTimeout(180_000);

const run = promisify(execFile);
const APP_REPO = 'acme/hello-html';
const FILES = ['apps/hello-html/staging/deployment.yaml', 'apps/hello-html/staging/kustomization.yaml', 'apps/hello-html/staging/service.yaml'];


function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
}

/** A git repo holding `files`, committed on `main` with `message`; returns the commit SHA. */
async function commitTree(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content, { mode: path.includes('.s2i/bin/') ? 0o755 : 0o644 });
  }
  if (!existsSync(join(dir, '.git'))) git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

function policyGranting(repo: string): string {
  return `allow:\n  - repo: ${repo}\n    paths: ["apps/hello-html/**"]\n    namespaces: [demo]\n`;
}

/** Image IDs this file built: every rebuild of a tag leaves the previous image untagged, so tags alone miss them. */
const images: string[] = [];

/** Remembers the image `reference` names now, for removal after the tests. */
async function remember(reference: string): Promise<void> {
  const id = await docker
    .getImage(reference)
    .inspect()
    .then((info) => info.Id, () => undefined);
  if (id && !images.includes(id)) images.push(id);
}

let registry: TestRegistry;
let temp: string;
let app: string;
let sha: string;
let image: string;

beforeAll(async () => {
  registry = await startRegistry();
  temp = await mkdtemp(join(tmpdir(), 's2i-bot-deploy-'));
  app = join(temp, 'hello-html');
  image = `${registry.address}/s2i-bot-test/hello-html`;
  await cp('examples/hello-html', app, { recursive: true });
  const config = [
    `builder: ${HTML_BUILDER}`,
    `image: ${image}`,
    'branches:',
    '  main: { environment: staging }',
    'deploy:',
    '  name: hello-html',
    '  namespace: demo',
    '  service: { type: NodePort, port: 8080 }',
    'gitops:',
    '  repo: acme/cluster-config',
    '',
  ].join('\n');
  sha = await commitTree(app, { '.github/s2i.yml': config }, 'Say hello in HTML\n\nThe body is not part of the deploy commit subject.');
});

afterAll(async () => {
  await registry?.stop();
  await rm(temp, { recursive: true, force: true });
  await removeImages(...images);
});

describe('cli/deploy-command (real engine, registry and git)', () => {
  afterEach(() => remember(`${image}:${sha}`));

  let configRepo: string;
  beforeAll(async () => {
    configRepo = join(temp, 'config-repo');
    await mkdir(configRepo);
    await commitTree(configRepo, { '.github/s2i-policy.yml': policyGranting(APP_REPO) }, 'Grant hello-html its directory');
  });

  it('builds, pushes and commits the manifests, pinned by the digest the registry serves, into the config repo', async () => {
    const { lines, output } = recorder();

    const result = await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO, '-q'], engine, output);

    const digest = await registry.manifestDigest('s2i-bot-test/hello-html', sha);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result).toMatchObject({ ok: true, environment: 'staging', files: FILES, push: { pinned: `${image}@${digest}` } });
    const head = git(configRepo, 'rev-parse', 'HEAD');
    expect(result.deploy).toEqual({ status: 'committed', commitSha: head, url: head, attempts: 1 });
    expect(git(configRepo, 'log', '--format=%B%x00')).toMatch(new RegExp(`^deploy\\(staging\\): ${APP_REPO}@${sha.slice(0, 7)} Say hello in HTML\\n\\x00\\n`));
    expect(git(configRepo, 'log', '--format=%s')).toBe(`deploy(staging): ${APP_REPO}@${sha.slice(0, 7)} Say hello in HTML\nGrant hello-html its directory`);
    expect(git(configRepo, 'show', '--name-only', '--format=', 'HEAD').split('\n')).toEqual(FILES);
    const deployment = parse(await readFile(join(configRepo, FILES[0]), 'utf8')) as { metadata: { namespace: string }; spec: { template: { spec: { containers: Array<{ image: string }> } } } };
    expect(deployment.metadata.namespace).toBe('demo');
    expect(deployment.spec.template.spec.containers.map((container) => container.image)).toEqual([`${image}@${digest}`]);
    expect(await readFile(join(configRepo, FILES[0]), 'utf8')).toMatch(new RegExp(`^# Generated by s2i-bot from ${APP_REPO}@${sha} `));
    expect(lines.filter((line) => line.startsWith('s2i/build '))).toEqual([expect.stringMatching(new RegExp(`^s2i/build success: Built ${image.replace(/\./g, '\\.')}:${sha} in \\d+\\.\\d s$`))]);
    expect(lines).toContain(`s2i/deploy success: Deployed to staging: config commit ${head.slice(0, 7)}`);
    expect(lines.at(-1)).toBe(`Deployed ${APP_REPO}@${sha.slice(0, 7)} to staging: config commit ${head} in ${configRepo}`);
  });

  // The registry already has <image>:<sha>, so the commit is not built again (an S2I image is not reproducible:
  // a rebuild would get a new digest) and the manifests come out identical.
  it('deploys the same commit again as "already deployed", without a new commit', async () => {
    const before = git(configRepo, 'rev-parse', 'HEAD');
    const { lines, output } = recorder();

    const result = await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO, '-q'], engine, output);

    expect(git(configRepo, 'rev-parse', 'HEAD')).toBe(before);
    expect(result).toMatchObject({ ok: true, deploy: { status: 'unchanged', headSha: before } });
    expect(lines.at(-1)).toMatch(/^Already deployed: /);
  });

  it('fails s2i/deploy naming the policy file and commits nothing when the policy does not grant the app', async () => {
    const refusing = join(temp, 'refusing-config-repo');
    await mkdir(refusing);
    const seeded = await commitTree(refusing, { '.github/s2i-policy.yml': policyGranting('acme/other-app') }, 'Grant another app');
    const { lines, output } = recorder();

    const result = await deployCommand([app, '--config-repo', refusing, '--repo', APP_REPO, '-q'], engine, output);

    expect(result).toMatchObject({ ok: false, failedCheck: 's2i/deploy' });
    expect(result.deploy).toBeUndefined();
    expect(lines).toContain(`s2i/deploy failure: Policy failed: .github/s2i-policy.yml in the config repo has no allow entry for ${APP_REPO}`);
    expect(lines.some((line) => line.startsWith('Deployed') || line.startsWith('Already deployed'))).toBe(false);
    expect(git(refusing, 'rev-parse', 'HEAD')).toBe(seeded);
    expect(git(refusing, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(existsSync(join(refusing, 'apps'))).toBe(false);
  });

  describe('as a process', () => {
    beforeAll(() => {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
    });

    async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      return run('node', ['dist/src/cli/main.js', ...args]).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );
    }

    it('prints the usage of deploy and render on --help (exit 0), and the top-level usage lists them', async () => {
      const deployHelp = await cli('deploy', '--help');
      const renderHelp = await cli('render', '-h');
      const top = await cli('--help');

      expect(deployHelp).toEqual({ code: 0, stdout: DEPLOY_USAGE, stderr: '' });
      expect(renderHelp).toEqual({ code: 0, stdout: RENDER_USAGE, stderr: '' });
      expect(top.code).toBe(0);
      expect(top.stdout).toMatch(/^ {2}render {3}print the manifests/m);
      expect(top.stdout).toMatch(/^ {2}deploy {3}build, push, and commit/m);
    });

    it('exits 2 with the deploy usage when the command line is wrong', async () => {
      const missing = await cli('deploy', app);
      const unknown = await cli('deploy', app, '--config-repo', join(temp, 'x'), '--no-such-flag');

      expect(missing.code).toBe(2);
      expect(missing.stderr).toBe(`s2i-bot: --config-repo is required\n\n${DEPLOY_USAGE}`);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^s2i-bot: Unknown option '--no-such-flag'.*\n\nUsage: s2i-bot deploy /s);
    });

    it('renders without building: manifests on stdout (exit 0), invalid config exit 1, unknown environment exit 2', async () => {
      const badConfig = join(temp, 'bad-s2i.yml');
      await writeFile(badConfig, `builder: ${HTML_BUILDER}\nimage: ${image}\ndeploy:\n  replicas: -1\ngitops:\n  repo: acme/cluster-config\n`);

      const rendered = await cli('render', app, '--repo', APP_REPO);
      const invalid = await cli('render', app, '--config', badConfig);
      const unknown = await cli('render', app, '--environment', 'production');

      expect(rendered.code).toBe(0);
      expect(rendered.stdout.split('\n').filter((line) => line.startsWith('--- '))).toEqual(FILES.map((file) => `--- ${file}`));
      expect(rendered.stdout).toContain(`# Generated by s2i-bot from ${APP_REPO}@${sha} `);
      expect(rendered.stderr).toBe(`warning: the image is pinned to the fake digest sha256:${'0'.repeat(64)}: a build sets the real one (give --image-digest to pin a pushed image)\n`);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toBe(`s2i-bot: the config is invalid:\n${badConfig}:4: deploy.replicas: expected an integer ≥ 0, got -1\n`);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(new RegExp(`^s2i-bot: ${app}/\\.github/s2i\\.yml deploys to no environment "production"; its branches map to: staging\\n\\nUsage: s2i-bot render `));
    });

    it('exits 0 with the config commit as its last line, and 1 naming the failed check when the policy refuses', async () => {
      const fresh = join(temp, 'process-config-repo');
      await mkdir(fresh);
      await commitTree(fresh, { '.github/s2i-policy.yml': policyGranting(APP_REPO) }, 'Grant hello-html its directory');
      const refusing = join(temp, 'refusing-config-repo');

      const deployed = await cli('deploy', app, '--config-repo', fresh, '--repo', APP_REPO, '-q');
      await remember(`${image}:${sha}`);
      const refused = await cli('deploy', app, '--config-repo', refusing, '--repo', APP_REPO, '-q');

      expect(deployed.code).toBe(0);
      expect(deployed.stdout.trim().split('\n').at(-1)).toBe(`Deployed ${APP_REPO}@${sha.slice(0, 7)} to staging: config commit ${git(fresh, 'rev-parse', 'HEAD')} in ${fresh}`);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain(`s2i/deploy failure: Policy failed: .github/s2i-policy.yml in the config repo has no allow entry for ${APP_REPO}\n`);
      expect(refused.stderr).toBe('s2i-bot: s2i/deploy failed; its output is above\n');
    });

    it('cancels on Ctrl-C: removes the build container, commits nothing and exits 130', async () => {
      const slow = join(temp, 'slow-app');
      await mkdir(slow);
      const slowSha = await commitTree(
        slow,
        {
          '.github/s2i.yml': `builder: ${HTML_BUILDER}\nimage: ${registry.address}/s2i-bot-test/slow\ndeploy: { namespace: demo }\ngitops: { repo: acme/cluster-config }\n`,
          '.s2i/bin/assemble': '#!/bin/sh\necho "---> sleeping"\nsleep 60\n',
        },
        'Take a long time',
      );
      const before = git(configRepo, 'rev-parse', 'HEAD');
      const child = spawn('node', ['dist/src/cli/main.js', 'deploy', slow, '--config-repo', configRepo, '--repo', 'acme/slow-app']);
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
      await remember(`${registry.address}/s2i-bot-test/slow:${slowSha}`);

      expect(code).toBe(130);
      expect(stderr.trim().split('\n')).toEqual([
        'warning: interrupted: stopping the build and removing its container (Ctrl-C again to quit at once)',
        's2i-bot: interrupted: nothing was deployed',
      ]);
      expect(stdout).toContain('s2i/build cancelled: Build cancelled\n    The build was cancelled.\n');
      expect(await leftoverBuildContainers(slowSha)).toEqual([]);
      expect(git(configRepo, 'rev-parse', 'HEAD')).toBe(before);
    });
  });
});
