import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DEPLOY_USAGE, deployCommand } from '../../src/cli/deploy-command.js';
import { UsageError } from '../../src/cli/output.js';
import { SucceedingEngine } from '../pipeline/succeeding-engine.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { recorder } from '../support/output-recorder.js';

const BUILDER = 'registry.example.com/s2i/html:1';
const IMAGE = 'registry.example.com/acme/hello-html';
const DIGEST = `sha256:${'e7'.repeat(32)}`;
const APP_REPO = 'acme/hello-html';
const CONFIG = [`builder: ${BUILDER}`, `image: ${IMAGE}`, 'branches:', '  main: { environment: staging }', 'deploy: { name: hello-html, namespace: demo }', 'gitops: { repo: acme/cluster-config }', ''].join('\n');
const POLICY = `allow:\n  - repo: ${APP_REPO}\n    paths: ["apps/hello-html/**"]\n    namespaces: [demo]\n`;


function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
}

/** Commits `files` into the git repo `dir` (created on branch `branch` when new); returns the commit SHA. */
async function commitFiles(dir: string, files: Record<string, string>, message: string, branch = 'main'): Promise<string> {
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  git(dir, 'init', '-q', '-b', branch);
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** Awaits a promise that must reject, and returns what it rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('resolved, but a rejection was expected'),
    (caught: unknown) => caught,
  );
}

/** An engine no call may reach: the command must stop before building. */
const noBuild = new UnusedEngine('a deploy that must stop before the build');

describe('src/cli/deploy-command (engine faked, real git)', () => {
  let temp: string;
  let app: string;
  let configRepo: string;
  beforeEach(async () => {
    temp = await mkdtemp(join(tmpdir(), 's2i-bot-deploy-unit-'));
    app = join(temp, 'hello-html');
    configRepo = join(temp, 'config-repo');
    await cp('examples/hello-html', app, { recursive: true });
    await commitFiles(configRepo, { '.github/s2i-policy.yml': POLICY }, 'Grant hello-html');
  });
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it('commits once, then reports a deploy of the same commit and digest as already deployed without a new commit', async () => {
    const sha = await commitFiles(app, { '.github/s2i.yml': CONFIG }, 'Say hello');
    const first = recorder();
    const second = recorder();

    const committed = await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO], new SucceedingEngine(BUILDER, DIGEST), first.output);
    const head = git(configRepo, 'rev-parse', 'HEAD');
    const again = await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO], new SucceedingEngine(BUILDER, DIGEST), second.output);

    expect(committed).toMatchObject({ ok: true, environment: 'staging', deploy: { status: 'committed', commitSha: head } });
    expect(first.lines).toContain('    ---> Copying the site');
    expect(first.lines.at(-1)).toBe(`Deployed ${APP_REPO}@${sha.slice(0, 7)} to staging: config commit ${head} in ${configRepo}`);
    expect(again).toMatchObject({ ok: true, deploy: { status: 'unchanged', headSha: head } });
    expect(again.failedCheck).toBeUndefined();
    expect(second.lines).toContain('s2i/deploy success: Already deployed to staging');
    expect(second.lines.at(-1)).toBe(`Already deployed: ${configRepo} has the manifests of ${APP_REPO}@${sha.slice(0, 7)} for staging (head ${head.slice(0, 7)}); nothing was committed`);
    expect(git(configRepo, 'log', '--format=%s')).toBe(`deploy(staging): ${APP_REPO}@${sha.slice(0, 7)} Say hello\nGrant hello-html`);
  });

  it('with --dry-run, builds and checks the policy but commits nothing, and concludes s2i/deploy neutral', async () => {
    const sha = await commitFiles(app, { '.github/s2i.yml': CONFIG }, 'Say hello');
    const { lines, output } = recorder();

    const result = await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO, '--dry-run'], new SucceedingEngine(BUILDER, DIGEST), output);

    expect(result).toMatchObject({ ok: true, deploy: { status: 'dry-run' } });
    expect(lines).toContain('s2i/deploy neutral: Dry run: would deploy to staging');
    expect(lines.at(-1)).toBe(`Dry run: ${APP_REPO}@${sha.slice(0, 7)} would be deployed to staging; nothing was written to ${configRepo}`);
    expect(git(configRepo, 'rev-list', '--count', 'HEAD')).toBe('1');
    expect(git(configRepo, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('with --dry-run, still fails when the policy does not grant the app', async () => {
    await commitFiles(app, { '.github/s2i.yml': CONFIG }, 'Say hello');
    const { output } = recorder();

    const result = await deployCommand([app, '--config-repo', configRepo, '--repo', 'acme/not-granted', '--dry-run'], new SucceedingEngine(BUILDER, DIGEST), output);

    expect(result).toMatchObject({ ok: false, failedCheck: 's2i/deploy' });
  });

  it('names the failed check and writes no result line when a step fails', async () => {
    await commitFiles(app, { '.github/s2i.yml': CONFIG }, 'Say hello');
    const { lines, output } = recorder();

    const result = await deployCommand([app, '--config-repo', configRepo, '--repo', 'acme/not-granted'], new SucceedingEngine(BUILDER, DIGEST), output);

    expect(result).toMatchObject({ ok: false, failedCheck: 's2i/deploy' });
    expect(lines.at(-1)).not.toMatch(/^(Deployed|Already deployed)/);
    expect(git(configRepo, 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it('takes --environment over the branch mapping, and refuses a branch that maps to none without it', async () => {
    await commitFiles(app, { '.github/s2i.yml': CONFIG }, 'Say hello', 'feature/x');
    const { output } = recorder();

    const refused = await rejectionOf(deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO], noBuild, output));
    const chosen = await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO, '--environment', 'staging'], new SucceedingEngine(BUILDER, DIGEST), output);

    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as UsageError).message).toBe(`branch "feature/x" maps to no environment in ${join(app, '.github/s2i.yml')}; give --environment`);
    expect((refused as UsageError).usage).toBe(DEPLOY_USAGE);
    expect(chosen).toMatchObject({ ok: true, environment: 'staging' });
  });

  it('refuses a directory that is not a git checkout before building', async () => {
    const { output } = recorder();

    const error = await rejectionOf(deployCommand([app, '--config-repo', configRepo], noBuild, output));

    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(`${app} is not in a git checkout: the image tag and the manifests name the commit they come from`);
  });

  it('fails on an invalid config with file:line problems before building', async () => {
    await commitFiles(app, { '.github/s2i.yml': `${CONFIG}deploy_typo: 1\n` }, 'Break the config');
    const { output } = recorder();

    const error = await rejectionOf(deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO], noBuild, output));

    expect(error).not.toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(new RegExp(`^the config is invalid:\\n${join(app, '.github/s2i.yml').replace(/[.]/g, '\\.')}:7: deploy_typo: unknown key`));
    expect(git(configRepo, 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it('warns that _extends is not followed on a local checkout', async () => {
    await commitFiles(app, { '.github/s2i.yml': `_extends: acme/defaults\n${CONFIG}` }, 'Inherit');
    const { lines, output } = recorder();

    await deployCommand([app, '--config-repo', configRepo, '--repo', APP_REPO], new SucceedingEngine(BUILDER, DIGEST), output);

    expect(lines[0]).toBe(`warning: ${join(app, '.github/s2i.yml')} inherits from "acme/defaults" (_extends), which is read from GitHub and not followed here: only its own settings are used`);
  });
});
