import { execFile } from 'node:child_process';
import { lstat, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { assertRepoPaths, ConfigRepoError, repoPathProblem, type ConfigRepo, type ConfigRepoWrite, type ReadFile, type WriteMode, type WriteOutcome } from './config-repo.js';
import { withWriteLock } from './write-lock.js';

const run = promisify(execFile);

export interface LocalConfigRepoOptions {
  /** The config repo's working directory; created as a git repo (branch `main`, one empty commit) when it is not one. */
  dir: string;
  /** Only `commit` works locally; `pull-request` fails each write with a ConfigRepoError. */
  mode?: WriteMode;
}

/** Commits as the bot, through `-c` so neither the user's nor the global git config is touched. */
const IDENTITY = ['-c', 'user.name=s2i-bot', '-c', 'user.email=s2i-bot@users.noreply.github.com', '-c', 'commit.gpgsign=false'];
const INITIAL_BRANCH = 'main';

/**
 * A config repo in a local git working directory, for the CLI and the demo: same contract as the GitHub one, one
 * commit per write (none when the files are already there), `url` is the commit sha. Paths may not leave the
 * directory, enter `.git`, or pass through a symbolic link.
 */
export class LocalConfigRepo implements ConfigRepo {
  readonly description: string;
  private readonly dir: string;
  private readonly mode: WriteMode;

  constructor(options: LocalConfigRepoOptions) {
    this.dir = options.dir;
    this.mode = options.mode ?? 'commit';
    this.description = `local git repository ${options.dir}`;
  }

  async readFile(path: string): Promise<string | undefined> {
    const root = await this.existingRoot();
    if (root === undefined) return undefined;
    const target = await this.target(root, path, 'read');
    if (target === undefined) return undefined;
    return readFile(target, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw new ConfigRepoError(`cannot read ${path} in ${this.description}: ${error.message}`, `make ${path} a readable file`);
    });
  }

  async write(change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome> {
    if (this.mode === 'pull-request') {
      throw new ConfigRepoError(`${this.description} cannot take pull requests: gitops.mode is pull-request`, 'set gitops.mode: commit in .github/s2i.yml for a local config repo, or deploy through the GitHub App');
    }
    assertRepoPaths(change.files, this.description);
    await mkdir(this.dir, { recursive: true });
    const root = await realpath(this.dir);
    return withWriteLock(`local:${root}`, async () => {
      await this.ensureRepo(root);
      if (check) await check((path) => this.readFile(path));
      const targets: string[] = [];
      // Every path is checked before the first file is written: a refused write leaves the directory as it was.
      for (const file of change.files) targets.push((await this.target(root, file.path, 'write')) as string);
      for (const [index, file] of change.files.entries()) {
        await mkdir(dirname(targets[index]), { recursive: true });
        await this.assertInside(dirname(targets[index]), file.path);
        if (file.content === null) await rm(targets[index], { force: true });
        else await writeFile(targets[index], file.content);
      }
      const paths = change.files.map((file) => file.path);
      // `add -A` stages deletions too; a path git never knew and that is gone does not match and is left out.
      const known = await this.git(root, ['--literal-pathspecs', 'ls-files', '--', ...paths]);
      const staged = paths.filter((path, index) => change.files[index].content !== null || known.split('\n').includes(path));
      if (staged.length > 0) await this.git(root, ['--literal-pathspecs', 'add', '-A', '--', ...staged]);
      const status = staged.length === 0 ? '' : await this.git(root, ['--literal-pathspecs', 'status', '--porcelain', '--', ...staged]);
      if (status.trim() === '') return { status: 'unchanged', headSha: await this.head(root), attempts: 1 };
      // Only these paths are committed, whatever else the user has staged.
      await this.git(root, [...IDENTITY, '--literal-pathspecs', 'commit', '--quiet', '--no-verify', '--message', change.message, '--', ...staged]);
      const sha = await this.head(root);
      return { status: 'committed', commitSha: sha, url: sha, attempts: 1 };
    });
  }

  private async existingRoot(): Promise<string | undefined> {
    try {
      return await realpath(this.dir);
    } catch {
      return undefined;
    }
  }

  /** Makes `root` a git repo of its own (not a directory inside some other repo) with at least one commit. */
  private async ensureRepo(root: string): Promise<void> {
    const top = await this.git(root, ['rev-parse', '--show-toplevel']).then(
      (out) => realpath(out.trim()),
      () => undefined,
    );
    if (top !== root) await this.git(root, ['init', '--quiet', `--initial-branch=${INITIAL_BRANCH}`]);
    const hasHead = await this.git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']).then(
      () => true,
      () => false,
    );
    if (!hasHead) await this.git(root, [...IDENTITY, 'commit', '--quiet', '--no-verify', '--allow-empty', '--message', 'Initialize the config repo']);
  }

  /**
   * The file a repo path names, after refusing any path that leaves the repo: `..`, absolute, `.git`, or an
   * existing component that is a symbolic link (git refuses to add beyond one, and it could point anywhere).
   * Undefined when reading and a parent directory does not exist.
   */
  private async target(root: string, path: string, purpose: 'read' | 'write'): Promise<string | undefined> {
    const problem = repoPathProblem(path);
    if (problem) throw new ConfigRepoError(`refusing to ${purpose} "${path}" in ${this.description}: the path ${problem}`, 'use repo-relative paths inside the config repo');
    const segments = path.split('/');
    let current = root;
    for (const [index, segment] of segments.entries()) {
      current = join(current, segment);
      const stat = await lstat(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (!stat) return purpose === 'read' && index < segments.length - 1 ? undefined : join(root, ...segments);
      if (stat.isSymbolicLink()) {
        throw new ConfigRepoError(
          `refusing to ${purpose} "${path}" in ${this.description}: ${segments.slice(0, index + 1).join('/')} is a symbolic link`,
          `replace the symbolic link ${segments.slice(0, index + 1).join('/')} in ${this.dir} with a real ${index < segments.length - 1 ? 'directory' : 'file'}`,
        );
      }
      const last = index === segments.length - 1;
      if (last ? !stat.isFile() : !stat.isDirectory()) {
        throw new ConfigRepoError(`refusing to ${purpose} "${path}" in ${this.description}: ${segments.slice(0, index + 1).join('/')} is not a ${last ? 'file' : 'directory'}`, `remove or rename it in ${this.dir}`);
      }
    }
    return join(root, ...segments);
  }

  /** Re-checks a directory after creating it: no symbolic link may have appeared on its way since the check. */
  private async assertInside(directory: string, path: string): Promise<void> {
    // `directory` is the repo's real path joined with plain segments, so any link on the way changes its real path.
    if ((await realpath(directory)) !== directory) {
      throw new ConfigRepoError(`refusing to write "${path}" in ${this.description}: its directory resolves outside the repo`, `remove symbolic links from ${this.dir}`);
    }
  }

  private async head(root: string): Promise<string> {
    return (await this.git(root, ['rev-parse', 'HEAD'])).trim();
  }

  private async git(root: string, args: string[]): Promise<string> {
    try {
      const { stdout } = await run('git', args, { cwd: root, env: gitEnvironment(), maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const { stderr, code, message } = error as { stderr?: string; code?: string | number; message: string };
      if (code === 'ENOENT') throw new ConfigRepoError(`git is not installed: cannot write ${this.description}`, 'install git and make sure it is on PATH');
      const detail = (stderr ?? '').trim().split('\n')[0] || message;
      const subcommand = args.find((arg) => !arg.startsWith('-') && !arg.includes('=')) ?? 'git';
      throw new ConfigRepoError(`git ${subcommand} failed in ${this.description}: ${detail}`, `check that ${this.dir} is a git repository this user can write`);
    }
  }
}

/** The process environment without GIT_* variables, which could point git at another repo, index or identity. */
function gitEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GIT_')));
}
