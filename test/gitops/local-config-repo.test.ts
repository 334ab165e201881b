import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ConfigRepoError, type ConfigRepoWrite } from '../../src/gitops/config-repo.js';
import { LocalConfigRepo } from '../../src/gitops/local-config-repo.js';

const run = promisify(execFile);

async function git(dir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('git', args, { cwd: dir });
  return stdout.trim();
}

/** Awaits a promise that must reject, and returns what it rejected with. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('resolved, but a rejection was expected'),
    (caught: unknown) => caught,
  );
}

const change = (content: string, message = 'deploy(production): acme/hello@1234567 Add greeting'): ConfigRepoWrite => ({
  files: [
    { path: 'apps/hello/production/deployment.yaml', content: `kind: Deployment\nimage: ${content}\n` },
    { path: 'apps/hello/production/service.yaml', content: 'kind: Service\n' },
  ],
  message,
  environment: 'production',
  sourceRepo: 'acme/hello',
});

describe('src/gitops/local-config-repo', () => {
  let temp: string;
  let dir: string;
  beforeEach(async () => {
    temp = await mkdtemp(join(tmpdir(), 's2i-bot-config-repo-'));
    dir = join(temp, 'config-repo');
  });
  afterEach(async () => {
    await rm(temp, { recursive: true, force: true });
  });

  it('deletes a file whose content is null in one commit, and reports unchanged when it is already gone', async () => {
    const repo = new LocalConfigRepo({ dir, mode: 'commit' });
    await repo.write(change('one'));
    const removal: ConfigRepoWrite = { ...change('one', 'unpin(production): acme/hello'), files: [{ path: 'apps/hello/production/service.yaml', content: null }] };

    const outcome = await repo.write(removal);
    const again = await repo.write(removal);

    expect(outcome.status).toBe('committed');
    expect(existsSync(join(dir, 'apps/hello/production/service.yaml'))).toBe(false);
    expect(await git(dir, 'show', '--name-status', '--format=%s', 'HEAD')).toBe('unpin(production): acme/hello\n\nD\tapps/hello/production/service.yaml');
    expect(again.status).toBe('unchanged');
  });

  it('creates the repo on branch main and commits the files as s2i-bot', async () => {
    const repo = new LocalConfigRepo({ dir, mode: 'commit' });

    const outcome = await repo.write(change('one'));

    const head = await git(dir, 'rev-parse', 'HEAD');
    expect(outcome).toEqual({ status: 'committed', commitSha: head, url: head, attempts: 1 });
    expect(await git(dir, 'branch', '--show-current')).toBe('main');
    expect(await git(dir, 'log', '--format=%an <%ae>|%cn <%ce>|%s')).toBe(
      [
        's2i-bot <s2i-bot@users.noreply.github.com>|s2i-bot <s2i-bot@users.noreply.github.com>|deploy(production): acme/hello@1234567 Add greeting',
        's2i-bot <s2i-bot@users.noreply.github.com>|s2i-bot <s2i-bot@users.noreply.github.com>|Initialize the config repo',
      ].join('\n'),
    );
    expect(await git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe('apps/hello/production/deployment.yaml\napps/hello/production/service.yaml');
    expect(await git(dir, 'status', '--porcelain')).toBe('');
  });

  it('does not commit the same files again', async () => {
    const repo = new LocalConfigRepo({ dir });
    const first = await repo.write(change('one'));

    const second = await repo.write(change('one'));

    expect(second).toEqual({ status: 'unchanged', headSha: first.status === 'committed' ? first.commitSha : '', attempts: 1 });
    expect(await git(dir, 'rev-list', '--count', 'HEAD')).toBe('2');
  });

  it('commits a changed file with the given message, on top of the previous commit', async () => {
    const repo = new LocalConfigRepo({ dir });
    const first = await repo.write(change('one'));

    const second = await repo.write(change('two', 'deploy(production): acme/hello@89abcde Second\n\nbody line'));

    expect(second.status).toBe('committed');
    expect(await git(dir, 'log', '-1', '--format=%B')).toBe('deploy(production): acme/hello@89abcde Second\n\nbody line');
    expect(await git(dir, 'rev-parse', 'HEAD~1')).toBe(first.status === 'committed' ? first.commitSha : '');
    expect(await git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe('apps/hello/production/deployment.yaml');
  });

  it('commits only its own paths, leaving what the user staged alone', async () => {
    const repo = new LocalConfigRepo({ dir });
    await repo.write(change('one'));
    await writeFile(join(dir, 'notes.md'), 'mine\n');
    await git(dir, 'add', 'notes.md');

    await repo.write(change('two'));

    expect(await git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe('apps/hello/production/deployment.yaml');
    expect(await git(dir, 'status', '--porcelain')).toBe('A  notes.md');
  });

  it('makes a directory inside another git repo a repo of its own', async () => {
    await git(temp, 'init', '--quiet');
    const repo = new LocalConfigRepo({ dir });

    await repo.write(change('one'));

    expect(existsSync(join(dir, '.git'))).toBe(true);
    expect(await git(temp, 'status', '--porcelain')).toBe('?? config-repo/');
  });

  it('reads files from the working tree, undefined when absent or when the repo does not exist yet', async () => {
    const repo = new LocalConfigRepo({ dir });
    const before = await repo.readFile('.github/s2i-policy.yml');
    await repo.write({ ...change('one'), files: [{ path: '.github/s2i-policy.yml', content: 'allow: []\n' }] });

    const policy = await repo.readFile('.github/s2i-policy.yml');
    const missing = await repo.readFile('apps/none/deployment.yaml');

    expect(before).toBeUndefined();
    expect(policy).toBe('allow: []\n');
    expect(missing).toBeUndefined();
  });

  it('runs the check before writing, and writes nothing when it throws', async () => {
    const repo = new LocalConfigRepo({ dir });
    const refusal = new Error('not granted');

    const error = await rejectionOf(
      repo.write(change('one'), async (read) => {
        expect(await read('.github/s2i-policy.yml')).toBeUndefined();
        throw refusal;
      }),
    );

    expect(error).toBe(refusal);
    expect(existsSync(join(dir, 'apps'))).toBe(false);
    expect(await git(dir, 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it.each([
    ['../escape.yaml', 'refusing to write "../escape.yaml" into local git repository DIR: the path contains a ".." segment'],
    ['apps/../../escape.yaml', 'refusing to write "apps/../../escape.yaml" into local git repository DIR: the path contains a ".." segment'],
    ['/etc/escape.yaml', 'refusing to write "/etc/escape.yaml" into local git repository DIR: the path is absolute'],
    ['.git/hooks/post-commit', 'refusing to write ".git/hooks/post-commit" into local git repository DIR: the path is inside .git'],
  ])('refuses the path %s and writes nothing', async (path, reason) => {
    const repo = new LocalConfigRepo({ dir });
    await repo.write(change('one'));

    const error = await rejectionOf(repo.write({ ...change('two'), files: [...change('two').files, { path, content: 'x' }] }));

    expect(error).toBeInstanceOf(ConfigRepoError);
    expect((error as ConfigRepoError).reason).toBe(reason.replace('DIR', dir));
    expect(existsSync(join(temp, 'escape.yaml'))).toBe(false);
    expect(await readFile(join(dir, 'apps/hello/production/deployment.yaml'), 'utf8')).toContain('one');
  });

  it('refuses a path whose existing parent is a symbolic link, even one pointing into the repo', async () => {
    const outside = join(temp, 'outside');
    await mkdir(outside);
    const repo = new LocalConfigRepo({ dir });
    await repo.write(change('one'));
    await symlink(outside, join(dir, 'apps', 'elsewhere'));
    await symlink(join(dir, 'apps', 'hello'), join(dir, 'apps', 'alias'));

    const escaping = await rejectionOf(repo.write({ ...change('two'), files: [{ path: 'apps/elsewhere/deployment.yaml', content: 'x' }] }));
    const aliased = await rejectionOf(repo.write({ ...change('two'), files: [{ path: 'apps/alias/production/deployment.yaml', content: 'x' }] }));
    const reading = await rejectionOf(repo.readFile('apps/elsewhere/secret'));

    expect((escaping as ConfigRepoError).reason).toBe(`refusing to write "apps/elsewhere/deployment.yaml" in local git repository ${dir}: apps/elsewhere is a symbolic link`);
    expect((aliased as ConfigRepoError).reason).toBe(`refusing to write "apps/alias/production/deployment.yaml" in local git repository ${dir}: apps/alias is a symbolic link`);
    expect(reading).toBeInstanceOf(ConfigRepoError);
    expect(existsSync(join(outside, 'deployment.yaml'))).toBe(false);
  });

  it('refuses to write through a file that is a symbolic link', async () => {
    const outside = join(temp, 'target.yaml');
    await writeFile(outside, 'original\n');
    const repo = new LocalConfigRepo({ dir });
    await repo.write(change('one'));
    await symlink(outside, join(dir, 'apps', 'hello', 'production', 'link.yaml'));

    const error = await rejectionOf(repo.write({ ...change('two'), files: [{ path: 'apps/hello/production/link.yaml', content: 'x' }] }));

    expect((error as ConfigRepoError).reason).toBe(`refusing to write "apps/hello/production/link.yaml" in local git repository ${dir}: apps/hello/production/link.yaml is a symbolic link`);
    expect(await readFile(outside, 'utf8')).toBe('original\n');
  });

  it('refuses pull-request mode, saying to use commit mode', async () => {
    const repo = new LocalConfigRepo({ dir, mode: 'pull-request' });

    const error = await rejectionOf(repo.write(change('one')));

    expect(error).toBeInstanceOf(ConfigRepoError);
    expect(error).toMatchObject({
      reason: `local git repository ${dir} cannot take pull requests: gitops.mode is pull-request`,
      hint: 'set gitops.mode: commit in .github/s2i.yml for a local config repo, or deploy through the GitHub App',
    });
    expect(existsSync(dir)).toBe(false);
  });
});
