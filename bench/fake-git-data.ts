/**
 * A config repo as GitHub's API shows it to the bot's writer, in memory and stateful: one branch, commits with
 * parents, trees of files, the raw contents endpoint, and a ref update that is refused with GitHub's
 * 422 "Update is not a fast forward" unless the new commit descends from the branch head. Other writers (another
 * bot process, a person) are played by `pushExternal`, which commits on top of the head and moves the branch.
 *
 * It only answers requests: the caller routes HTTP to `answer()` (nock in the tests and in bench/contention.ts).
 */
import { createHash } from 'node:crypto';

export interface FakeGitDataOptions {
  /** `owner/name` of the config repo. */
  repo: string;
  branch: string;
  /** Files of the branch's first commit, path → text. */
  files: Record<string, string>;
}

/** An HTTP answer: status, JSON (or text) body, headers. */
export type FakeReply = [number, unknown, Record<string, string>?];

/** One `PATCH /git/refs/heads/<branch>` as it arrived. */
export interface RefUpdate {
  sha: string;
  force: boolean;
  accepted: boolean;
}

interface Commit {
  tree: string;
  parents: string[];
  message: string;
}

interface TreeEntry {
  path: string;
  content?: string;
  /** `null` deletes the path (GitHub's way); a blob sha is not supported here. */
  sha?: string | null;
}

export class FakeGitData {
  /** Every ref update of the branch, in order of arrival. */
  readonly refUpdates: RefUpdate[] = [];
  /**
   * Runs when a ref update arrives, before it is judged, with the message of the commit it would move the branch
   * to: the place to move the branch under a writer.
   */
  beforeRefUpdate: ((message: string | undefined) => void) | undefined;

  private readonly trees = new Map<string, Map<string, string>>();
  private readonly commits = new Map<string, Commit>();
  private headSha: string;
  private sequence = 0;

  constructor(private readonly options: FakeGitDataOptions) {
    this.headSha = this.commit(this.tree(new Map(Object.entries(options.files))), [], 'initial commit');
  }

  /** The branch head. */
  get head(): string {
    return this.headSha;
  }

  /** Files at a commit (default: the head), path → text. */
  filesAt(sha = this.headSha): Map<string, string> {
    const commit = this.commits.get(sha);
    if (!commit) throw new Error(`no commit ${sha}`);
    return new Map(this.trees.get(commit.tree));
  }

  /** Another writer commits `files` on top of the head and moves the branch; returns the new head. */
  pushExternal(files: Record<string, string>, message = 'commit by another writer'): string {
    const base = this.filesAt();
    for (const [path, content] of Object.entries(files)) base.set(path, content);
    this.headSha = this.commit(this.tree(base), [this.headSha], message);
    return this.headSha;
  }

  /** Answers one request to api.github.com; undefined when it is not about this repo's git data. */
  answer(method: string, pathWithQuery: string, body: unknown): FakeReply | undefined {
    const url = new URL(pathWithQuery, 'https://api.github.com');
    const prefix = `/repos/${this.options.repo}`;
    const path = decodeURIComponent(url.pathname);
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
    const route = `${method.toUpperCase()} ${path.slice(prefix.length) || '/'}`;
    const { branch } = this.options;

    if (route === 'GET /') return [200, { full_name: this.options.repo, default_branch: branch }];
    if (route === `GET /branches/${branch}`) {
      return [200, { name: branch, commit: { sha: this.headSha, commit: { tree: { sha: this.commits.get(this.headSha)?.tree } } } }];
    }
    if (route.startsWith('GET /contents/')) return this.contents(route.slice('GET /contents/'.length), url.searchParams.get('ref') ?? branch);
    if (route === 'POST /git/trees') return this.createTree(body as { base_tree?: string; tree: TreeEntry[] });
    if (route === 'POST /git/commits') return this.createCommit(body as { message: string; tree: string; parents: string[] });
    if (route === `PATCH /git/refs/heads/${branch}`) return this.updateRef(body as { sha: string; force?: boolean });
    return [404, { message: 'Not Found' }];
  }

  private contents(path: string, ref: string): FakeReply {
    const sha = ref === this.options.branch ? this.headSha : ref;
    const content = this.commits.has(sha) ? this.filesAt(sha).get(path) : undefined;
    return content === undefined ? [404, { message: 'Not Found' }] : [200, content, { 'content-type': 'text/plain; charset=utf-8' }];
  }

  private createTree(body: { base_tree?: string; tree: TreeEntry[] }): FakeReply {
    const base = body.base_tree === undefined ? new Map<string, string>() : this.trees.get(body.base_tree);
    if (!base) return [422, { message: `Invalid tree info: base_tree ${body.base_tree} does not exist` }];
    const files = new Map(base);
    for (const entry of body.tree) {
      if (entry.sha === null) files.delete(entry.path);
      else if (entry.content !== undefined) files.set(entry.path, entry.content);
      else return [422, { message: `Invalid tree info: ${entry.path} has neither content nor sha: null` }];
    }
    return [201, { sha: this.tree(files) }];
  }

  private createCommit(body: { message: string; tree: string; parents: string[] }): FakeReply {
    if (!this.trees.has(body.tree)) return [422, { message: `Tree ${body.tree} does not exist` }];
    const missing = body.parents.find((parent) => !this.commits.has(parent));
    if (missing) return [422, { message: `Parent ${missing} does not exist` }];
    const sha = this.commit(body.tree, body.parents, body.message);
    return [201, { sha, html_url: `https://github.com/${this.options.repo}/commit/${sha}` }];
  }

  private updateRef(body: { sha: string; force?: boolean }): FakeReply {
    this.beforeRefUpdate?.(this.commits.get(body.sha)?.message);
    const force = body.force === true;
    const update: RefUpdate = { sha: body.sha, force, accepted: false };
    this.refUpdates.push(update);
    if (!this.commits.has(body.sha)) return [422, { message: 'Object does not exist' }];
    if (!force && !this.descends(body.sha, this.headSha)) return [422, { message: 'Update is not a fast forward' }];
    this.headSha = body.sha;
    update.accepted = true;
    return [200, { ref: `refs/heads/${this.options.branch}`, object: { sha: body.sha, type: 'commit' } }];
  }

  /** Whether `sha` is `ancestor` or has it among its ancestors. */
  private descends(sha: string, ancestor: string): boolean {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0) {
      const next = queue.pop() as string;
      if (next === ancestor) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    return false;
  }

  /** Stores a tree; equal file sets get equal ids, so a write that changes nothing yields the base tree. */
  private tree(files: Map<string, string>): string {
    const entries = [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sha = createHash('sha1').update(JSON.stringify(entries)).digest('hex');
    this.trees.set(sha, new Map(entries));
    return sha;
  }

  private commit(tree: string, parents: string[], message: string): string {
    this.sequence += 1;
    const sha = createHash('sha1').update(JSON.stringify([tree, parents, message, this.sequence])).digest('hex');
    this.commits.set(sha, { tree, parents, message });
    return sha;
  }
}
