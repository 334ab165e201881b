/** One file to write into the config repo. */
export interface FileChange {
  /** Repo-relative path with `/` separators, e.g. `apps/hello/production/deployment.yaml`. */
  path: string;
  /** The file's new text; null deletes it (a write deletes only files its policy check saw exist). */
  content: string | null;
}

/** Everything one deploy writes: all files land in one commit. */
export interface ConfigRepoWrite {
  files: FileChange[];
  /** Commit message; its first line is also the pull request's title. */
  message: string;
  /** Environment deployed to; names the pull-request branch. */
  environment: string;
  /** `owner/name` of the app repo the files come from; names the pull-request branch. */
  sourceRepo: string;
}

/** What a write did. `attempts` counts tries, more than 1 when the branch moved underneath. */
export type WriteOutcome =
  | { status: 'committed'; commitSha: string; url: string; attempts: number }
  | { status: 'unchanged'; headSha: string; attempts: number }
  | { status: 'pull-request'; commitSha: string; number: number; url: string; created: boolean; attempts: number }
  | { status: 'dry-run'; attempts: 0 };

/** Reads a file of the config repo; undefined when it does not exist. */
export type ReadFile = (path: string) => Promise<string | undefined>;

/** How the config repo changes: one commit on the branch, or a commit on a pull-request branch. */
export type WriteMode = 'commit' | 'pull-request';

/** The config repo (GitOps repository) as the pipeline sees it; it never sees Octokit or git. */
export interface ConfigRepo {
  /** Names the repo and branch in messages, e.g. `acme/cluster-config@main`. */
  readonly description: string;
  /** Reads a file at the head of the target branch; undefined when absent. */
  readFile(path: string): Promise<string | undefined>;
  /**
   * Writes all files in one commit, or reports `unchanged` when they are already there. `check` runs before each
   * attempt with a reader of the head about to be written on, so a policy is checked against exactly what the
   * commit builds upon; whatever it throws aborts the write before anything is written, and is rethrown as is.
   */
  write(change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome>;
}

/** A config-repo write or read that failed: what went wrong and what to do, naming the repo and branch. */
export class ConfigRepoError extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(reason);
    this.name = 'ConfigRepoError';
  }
}

/**
 * Why a path cannot be a file of a config repo, or undefined when it can. This is the writer's own floor, not the
 * policy: the operator may write `.github/` (the demo writes its policy), but nothing may leave the repo, enter
 * `.git`, or be spelt in a way git and the file system would read differently.
 */
export function repoPathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if ([...path].some((char) => char.charCodeAt(0) < 0x20 || char === '\u007f')) return 'contains a control character';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  const segments = path.split('/');
  if (segments.includes('..')) return 'contains a ".." segment';
  if (segments.some((segment) => segment === '' || segment === '.')) return 'contains an empty or "." segment';
  if (segments.some((segment) => segment.toLowerCase() === '.git')) return 'is inside .git';
  return undefined;
}

/** Throws a ConfigRepoError for the first unusable or repeated path of a write. */
export function assertRepoPaths(files: FileChange[], description: string): void {
  const seen = new Set<string>();
  for (const file of files) {
    const problem = repoPathProblem(file.path);
    if (problem) throw new ConfigRepoError(`refusing to write "${file.path}" into ${description}: the path ${problem}`, 'write repo-relative paths inside the config repo (check gitops.path in .github/s2i.yml)');
    if (seen.has(file.path)) throw new ConfigRepoError(`refusing to write "${file.path}" into ${description} twice in one commit`, 'give every rendered file its own path');
    seen.add(file.path);
  }
  if (files.length === 0) throw new ConfigRepoError(`nothing to write into ${description}`, 'render at least one manifest');
}
