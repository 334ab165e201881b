import type { GitHubClient } from '../github/github-client.js';
import { rawText } from '../github/raw-text.js';
import { assertRepoPaths, ConfigRepoError, repoPathProblem, type ConfigRepo, type ConfigRepoWrite, type FileChange, type ReadFile, type WriteMode, type WriteOutcome } from './config-repo.js';
import type { CommitFileCache } from './commit-file-cache.js';
import { withWriteLock } from './write-lock.js';

export interface GitHubConfigRepoOptions {
  /** An installation's Octokit that can read and write the config repo (Contents: write; Pull requests: write for PRs). */
  octokit: GitHubClient;
  owner: string;
  repo: string;
  /** Branch to deploy to; the repo's default branch when absent (one extra API call per instance). */
  branch?: string;
  /** `commit`: commit on the branch. `pull-request`: commit on `s2i/<environment>/<source>` and open a PR. */
  mode: WriteMode;
  /** Tries before giving up on a branch that keeps moving (default 10). */
  maxAttempts?: number;
  /** First retry delay in ms, doubled per retry up to 2 s and jittered (default 50). */
  retryDelayMs?: number;
  /** Default branches remembered across instances (the bot shares one), so a deploy does not look it up each time. */
  defaultBranches?: DefaultBranchCache;
  /** Files at commits remembered across instances (the bot shares one): the policy is not read again after each deploy. */
  commitFiles?: CommitFileCache;
}

/**
 * Default branches of config repos, remembered for a while: they rarely change, and each lookup is an API call
 * in every deploy of a config without `gitops.branch`.
 */
export class DefaultBranchCache {
  private readonly entries = new Map<string, { branch: string; until: number }>();

  constructor(private readonly ttlMs = 10 * 60_000) {}

  get(repo: string): string | undefined {
    const entry = this.entries.get(repo.toLowerCase());
    if (entry && entry.until > Date.now()) return entry.branch;
    this.entries.delete(repo.toLowerCase());
    return undefined;
  }

  set(repo: string, branch: string): void {
    this.entries.set(repo.toLowerCase(), { branch, until: Date.now() + this.ttlMs });
  }
}

// Measured with 20–50 concurrent deploys and another writer committing every 250 ms (bench/contention.ts): 5 tries
// from 250 ms gave up on 3% of deploys; 10 from 50 ms on none. Every refusal means another writer got through.
const DEFAULT_MAX_ATTEMPTS = 10;
const DEFAULT_RETRY_DELAY_MS = 50;
const MAX_RETRY_DELAY_MS = 2000;

/** A branch head: the commit and its tree, from one `GET /branches/{branch}`. */
interface Head {
  sha: string;
  treeSha: string;
}

/** GitHub's refusal to move a ref, kept to tell a race (retry) from a rule (give up) on the next attempt. */
interface Rejection {
  /** The head the refused commit was built on; null when the branch did not exist yet. */
  builtOn: string | null;
  /** GitHub said the ref moved (non-fast-forward, conflict, already exists). */
  race: boolean;
  message: string;
}

type RefResult = { kind: 'unchanged'; headSha: string; existed: boolean; attempts: number } | { kind: 'committed'; commitSha: string; url: string; existed: boolean; attempts: number };

/**
 * The config repo on GitHub, written through the Git Data API without a clone: one tree and one commit per write,
 * the ref moved without force. Commit mode costs 4 calls (branch, tree, commit, ref) plus 1 per policy-file read;
 * unchanged files cost 2 (no commit). A branch that moved meanwhile is retried from its new head.
 */
export class GitHubConfigRepo implements ConfigRepo {
  readonly description: string;
  private readonly octokit: GitHubClient;
  private readonly owner: string;
  private readonly repo: string;
  private readonly mode: WriteMode;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly configuredBranch: string | undefined;
  private defaultBranch: Promise<string> | undefined;
  private readonly defaultBranches: DefaultBranchCache | undefined;
  private readonly commitFiles: CommitFileCache | undefined;

  constructor(options: GitHubConfigRepoOptions) {
    this.octokit = options.octokit;
    this.owner = options.owner;
    this.repo = options.repo;
    this.mode = options.mode;
    this.configuredBranch = options.branch;
    this.defaultBranches = options.defaultBranches;
    this.commitFiles = options.commitFiles;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS);
    this.description = `${options.owner}/${options.repo}@${options.branch ?? '(default branch)'}`;
  }

  async readFile(path: string): Promise<string | undefined> {
    const problem = repoPathProblem(path);
    if (problem) throw new ConfigRepoError(`cannot read "${path}" from ${this.description}: the path ${problem}`, 'read repo-relative paths only');
    return this.readAt(await this.branch(), path);
  }

  async write(change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome> {
    assertRepoPaths(change.files, this.description);
    const base = await this.branch();
    if (this.mode === 'commit') {
      return withWriteLock(this.lockKey(base), async () => {
        const result = await this.commitOnRef(base, undefined, change, check);
        return result.kind === 'unchanged'
          ? { status: 'unchanged', headSha: result.headSha, attempts: result.attempts }
          : { status: 'committed', commitSha: result.commitSha, url: result.url, attempts: result.attempts };
      });
    }
    const head = pullRequestBranch(change.environment, change.sourceRepo);
    return withWriteLock(this.lockKey(head), () => this.writePullRequest(base, head, change, check));
  }

  private async writePullRequest(base: string, head: string, change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome> {
    const result = await this.commitOnRef(head, base, change, check);
    if (result.kind === 'unchanged') {
      // Nothing new for the branch; an open PR still waiting for review is what the user wants to see.
      const open = result.existed ? await this.findPullRequest(head) : undefined;
      return open
        ? { status: 'pull-request', commitSha: result.headSha, number: open.number, url: open.url, created: false, attempts: result.attempts }
        : { status: 'unchanged', headSha: result.headSha, attempts: result.attempts };
    }
    // A branch created just now has no PR: GitHub closes a PR whose head branch is deleted.
    const open = result.existed ? await this.findPullRequest(head) : undefined;
    if (open) return { status: 'pull-request', commitSha: result.commitSha, number: open.number, url: open.url, created: false, attempts: result.attempts };
    const opened = await this.openPullRequest(head, base, change);
    return { status: 'pull-request', commitSha: result.commitSha, number: opened.number, url: opened.url, created: opened.created, attempts: result.attempts };
  }

  /**
   * Commits the files on `ref` (created from `base`'s head when absent and `base` is given), retrying from the new
   * head while the ref keeps moving. `check` reads the head the commit builds on (the base branch in PR mode).
   */
  private async commitOnRef(ref: string, base: string | undefined, change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<RefResult> {
    let rejection: Rejection | undefined;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt += 1) {
      if (attempt > 1) await sleep(this.retryDelay(attempt));
      const existing = base === undefined ? await this.head(ref) : await this.findBranch(ref);
      if (rejection && !rejection.race && (existing?.sha ?? null) === rejection.builtOn) {
        // The ref did not move, so GitHub refused the update itself: a protection rule, not a race.
        throw this.refused(ref, rejection.message);
      }
      const start = existing ?? (await this.head(base as string));
      if (check) {
        // PR mode checks the policy of the branch the PR merges into, not of the bot's own branch.
        await check(memoize((path) => this.readAt(base === undefined || !existing ? start.sha : base, path)));
      }
      const tree = await this.createTree(ref, start.treeSha, change.files);
      if (tree === start.treeSha) return { kind: 'unchanged', headSha: start.sha, existed: existing !== undefined, attempts: attempt };
      const commit = await this.createCommit(ref, change.message, tree, start.sha);
      rejection = existing ? await this.moveRef(ref, commit.sha, start.sha) : await this.createRef(ref, commit.sha);
      if (!rejection) {
        this.commitFiles?.derive(`${this.owner}/${this.repo}`, start.sha, commit.sha, change.files);
        return { kind: 'committed', commitSha: commit.sha, url: commit.url, existed: existing !== undefined, attempts: attempt };
      }
    }
    throw new ConfigRepoError(
      `${this.owner}/${this.repo}@${ref} kept moving: ${this.maxAttempts} attempts to commit on top of its head were overtaken by other writes (GitHub: ${rejection?.message ?? 'ref update refused'})`,
      `nothing was written; retry with /s2i rebuild on the commit or push again. If it keeps happening, find what pushes to ${ref} of ${this.owner}/${this.repo} so often`,
    );
  }

  private retryDelay(attempt: number): number {
    const exponential = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** (attempt - 2));
    // Jitter keeps writers that collided once from colliding again in lockstep.
    return Math.round(exponential * (0.5 + Math.random() / 2));
  }

  private lockKey(branch: string): string {
    // GitHub owner and repo names are case-insensitive; branch names are not.
    return `${this.owner.toLowerCase()}/${this.repo.toLowerCase()}#${branch}`;
  }

  private branch(): Promise<string> {
    if (this.configuredBranch !== undefined) return Promise.resolve(this.configuredBranch);
    const remembered = this.defaultBranches?.get(`${this.owner}/${this.repo}`);
    if (remembered !== undefined) return Promise.resolve(remembered);
    this.defaultBranch ??= this.octokit.rest.repos.get({ owner: this.owner, repo: this.repo }).then(
      ({ data }) => {
        this.defaultBranches?.set(`${this.owner}/${this.repo}`, data.default_branch);
        return data.default_branch;
      },
      (error: unknown) => {
        this.defaultBranch = undefined;
        throw this.explain(error, 'read the repository', '(default branch)');
      },
    );
    return this.defaultBranch;
  }

  /** The head of a branch that must exist. */
  private async head(branch: string): Promise<Head> {
    const found = await this.findBranch(branch);
    if (found) return found;
    throw await this.missingBranch(branch);
  }

  private async findBranch(branch: string): Promise<Head | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getBranch({ owner: this.owner, repo: this.repo, branch });
      return { sha: data.commit.sha, treeSha: data.commit.commit.tree.sha };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw this.explain(error, `read branch ${branch}`, branch);
    }
  }

  /** GitHub answers 404 alike for a missing branch and a repo it hides, so ask for the repo (failure path only). */
  private async missingBranch(branch: string): Promise<ConfigRepoError> {
    try {
      await this.octokit.rest.repos.get({ owner: this.owner, repo: this.repo });
    } catch (error) {
      return this.explain(error, 'read the repository', branch);
    }
    if (this.configuredBranch === undefined) {
      return new ConfigRepoError(
        `the config repo ${this.owner}/${this.repo} has no commits: its default branch ${branch} does not exist`,
        `push a first commit to ${this.owner}/${this.repo} (with .github/s2i-policy.yml granting the app repos their paths), then push again`,
      );
    }
    return new ConfigRepoError(`branch ${branch} does not exist in the config repo ${this.owner}/${this.repo}`, `create ${branch} in ${this.owner}/${this.repo}, or fix gitops.branch in .github/s2i.yml`);
  }

  private async readAt(ref: string, path: string): Promise<string | undefined> {
    // Only a commit's files are fixed; a branch name is read each time.
    const atCommit = /^[0-9a-f]{40}$/.test(ref);
    const known = atCommit ? this.commitFiles?.get(`${this.owner}/${this.repo}`, ref, path) : undefined;
    if (known !== undefined) return known ?? undefined;
    const text = await this.fetchAt(ref, path);
    if (atCommit) this.commitFiles?.set(`${this.owner}/${this.repo}`, ref, path, text ?? null);
    return text;
  }

  private async fetchAt(ref: string, path: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.rest.repos.getContent({ owner: this.owner, repo: this.repo, path, ref, mediaType: { format: 'raw' } });
      return rawText(data as unknown, () => new ConfigRepoError(`${path} in ${this.description} is not a file`, `make ${path} a regular file in ${this.owner}/${this.repo}`));
    } catch (error) {
      if (error instanceof ConfigRepoError) throw error;
      if (statusOf(error) === 404) return undefined;
      throw this.explain(error, `read ${path}`, ref);
    }
  }

  private async createTree(branch: string, baseTree: string, files: FileChange[]): Promise<string> {
    try {
      const { data } = await this.octokit.rest.git.createTree({
        owner: this.owner,
        repo: this.repo,
        base_tree: baseTree,
        tree: files.map((file) =>
          file.content === null
            ? { path: file.path, mode: '100644' as const, type: 'blob' as const, sha: null }
            : { path: file.path, mode: '100644' as const, type: 'blob' as const, content: file.content },
        ),
      });
      return data.sha;
    } catch (error) {
      throw this.explain(error, 'create the tree of the new commit', branch);
    }
  }

  private async createCommit(branch: string, message: string, tree: string, parent: string): Promise<{ sha: string; url: string }> {
    try {
      const { data } = await this.octokit.rest.git.createCommit({ owner: this.owner, repo: this.repo, message, tree, parents: [parent] });
      return { sha: data.sha, url: data.html_url };
    } catch (error) {
      throw this.explain(error, 'create the commit', branch);
    }
  }

  /** Fast-forwards a branch; a refusal is returned (to retry or explain), any other failure thrown. */
  private async moveRef(branch: string, sha: string, builtOn: string): Promise<Rejection | undefined> {
    try {
      await this.octokit.rest.git.updateRef({ owner: this.owner, repo: this.repo, ref: `heads/${branch}`, sha, force: false });
      return undefined;
    } catch (error) {
      const status = statusOf(error);
      if (status !== 409 && status !== 422) throw this.explain(error, `update ${branch}`, branch);
      const message = messageOf(error);
      return { builtOn, race: status === 409 || /fast.forward/i.test(message), message };
    }
  }

  /** Creates a branch; "already exists" means another writer won the race. */
  private async createRef(branch: string, sha: string): Promise<Rejection | undefined> {
    try {
      await this.octokit.rest.git.createRef({ owner: this.owner, repo: this.repo, ref: `refs/heads/${branch}`, sha });
      return undefined;
    } catch (error) {
      const status = statusOf(error);
      if (status !== 409 && status !== 422) throw this.explain(error, `create branch ${branch}`, branch);
      const message = messageOf(error);
      return { builtOn: null, race: status === 409 || /already exists/i.test(message), message };
    }
  }

  private async findPullRequest(head: string): Promise<{ number: number; url: string } | undefined> {
    try {
      const { data } = await this.octokit.rest.pulls.list({ owner: this.owner, repo: this.repo, head: `${this.owner}:${head}`, state: 'open' });
      return data[0] ? { number: data[0].number, url: data[0].html_url } : undefined;
    } catch (error) {
      throw this.explain(error, `list the pull requests of ${head}`, head);
    }
  }

  private async openPullRequest(head: string, base: string, change: ConfigRepoWrite): Promise<{ number: number; url: string; created: boolean }> {
    try {
      const { data } = await this.octokit.rest.pulls.create({
        owner: this.owner,
        repo: this.repo,
        head,
        base,
        title: change.message.split('\n')[0],
        body: pullRequestBody(change, head),
      });
      return { number: data.number, url: data.html_url, created: true };
    } catch (error) {
      // Another process may have opened it between our look-up and this call.
      const existing = statusOf(error) === 422 ? await this.findPullRequest(head) : undefined;
      if (existing) return { ...existing, created: false };
      throw this.explain(error, `open a pull request from ${head} into ${base}`, head);
    }
  }

  private refused(branch: string, message: string): ConfigRepoError {
    return new ConfigRepoError(
      `GitHub refused to update ${branch} of ${this.owner}/${this.repo}: ${message}`,
      `allow the s2i-bot App to push to ${branch} in the branch protection rules or rulesets of ${this.owner}/${this.repo}, or set gitops.mode: pull-request in .github/s2i.yml`,
    );
  }

  /** A failed API call as the user reads it; errors without an HTTP status are bugs and are rethrown as they are. */
  private explain(error: unknown, doing: string, branch: string): ConfigRepoError {
    const status = statusOf(error);
    if (status === undefined) throw error;
    const where = `${this.owner}/${this.repo}`;
    const message = messageOf(error);
    switch (status) {
      case 401:
        return new ConfigRepoError(`GitHub did not accept the bot's credentials to ${doing} in ${where}`, 'check APP_ID and PRIVATE_KEY of the bot, then push again');
      case 403:
        if (/rate limit/i.test(message)) return new ConfigRepoError(`GitHub's rate limit refused the bot's request to ${doing} in ${where}`, 'wait a few minutes, then retry with /s2i rebuild or push again');
        return new ConfigRepoError(
          `GitHub refused to let the bot ${doing} in ${where}@${branch}: ${message}`,
          `give the s2i-bot App "Contents: Read and write"${this.mode === 'pull-request' ? ' and "Pull requests: Read and write"' : ''} on ${where} and accept the new permissions in the installation; if ${branch} is protected, allow the App to push to it or set gitops.mode: pull-request`,
        );
      case 404:
        return new ConfigRepoError(
          `the config repo ${where} was not found, or the s2i-bot App cannot see it`,
          `install the s2i-bot App on ${where} (the same installation as the app repo) with "Contents: Read and write", and check gitops.repo in .github/s2i.yml`,
        );
      case 409:
        return new ConfigRepoError(`GitHub could not ${doing} in ${where}@${branch}: ${message}`, `if ${where} is empty, push a first commit with .github/s2i-policy.yml, then push again`);
      default:
        if (status >= 500) return new ConfigRepoError(`GitHub answered ${status} when the bot tried to ${doing} in ${where}@${branch}`, 'GitHub had a problem; retry with /s2i rebuild or push again');
        return new ConfigRepoError(`GitHub refused to ${doing} in ${where}@${branch}: ${message} (HTTP ${status})`, `fix what GitHub names in ${where}, then retry with /s2i rebuild or push again`);
    }
  }
}

/**
 * The branch a pull-request deploy commits to: `s2i/<environment>/<source owner>-<source repo>`, each part
 * reduced to characters that are valid in any git ref (letters, digits, `.`, `_`, `-`).
 */
export function pullRequestBranch(environment: string, sourceRepo: string): string {
  return `s2i/${refComponent(environment)}/${refComponent(sourceRepo.replace('/', '-'))}`;
}

function refComponent(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/(\.lock)+$/i, '')
    .replace(/\.+$/, '');
  return cleaned === '' ? 'unnamed' : cleaned;
}

function pullRequestBody(change: ConfigRepoWrite, head: string): string {
  return [
    `s2i-bot deploys **${change.sourceRepo}** to **${change.environment}**.`,
    '',
    ...change.message.split('\n').map((line) => `> ${line}`.trimEnd()),
    '',
    'Files:',
    ...change.files.map((file) => `- \`${file.path}\``),
    '',
    `Merge this pull request to deploy; the GitOps controller applies it from the base branch. Later deploys of ${change.sourceRepo} to ${change.environment} add commits to \`${head}\`.`,
  ].join('\n');
}

/** The text of a raw contents answer; Octokit gives text or bytes depending on the content type. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** GitHub's own message (`{"message": ...}`), without Octokit's appended documentation link. */
function messageOf(error: unknown): string {
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const message = (data as { message?: unknown } | undefined)?.message;
  if (typeof message === 'string' && message !== '') return message;
  return error instanceof Error ? error.message : String(error);
}

function memoize(read: ReadFile): ReadFile {
  const cache = new Map<string, Promise<string | undefined>>();
  return (path) => {
    let cached = cache.get(path);
    if (!cached) {
      cached = read(path);
      cache.set(path, cached);
    }
    return cached;
  };
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
