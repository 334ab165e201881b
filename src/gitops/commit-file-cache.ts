import type { FileChange } from './config-repo.js';

/** Commits remembered (oldest forgotten first); each holds the few files the bot read or wrote there. */
const REMEMBERED_COMMITS = 500;

/**
 * Files of config-repo commits the bot has seen. A file at a commit never changes, and a commit the bot made holds
 * its parent's files with its own changes applied, so after the bot's own commit the next deploy knows the policy
 * and the pin at the new head without reading them: only someone else's commit costs a read again.
 */
export class CommitFileCache {
  private readonly commits = new Map<string, Map<string, string | null>>();

  /** The file's text at a commit, null when it is known to be absent, undefined when unknown. */
  get(repo: string, sha: string, path: string): string | null | undefined {
    return this.commits.get(key(repo, sha))?.get(path);
  }

  set(repo: string, sha: string, path: string, content: string | null): void {
    this.files(repo, sha).set(path, content);
  }

  /** Records a commit the bot made on `parent`: what was known there, changed by `changes`. */
  derive(repo: string, parent: string, child: string, changes: FileChange[]): void {
    const known = this.commits.get(key(repo, parent));
    if (!known) return;
    const files = this.files(repo, child);
    for (const [path, content] of known) files.set(path, content);
    for (const change of changes) files.set(change.path, change.content);
  }

  private files(repo: string, sha: string): Map<string, string | null> {
    let files = this.commits.get(key(repo, sha));
    if (!files) {
      files = new Map();
      this.commits.set(key(repo, sha), files);
      if (this.commits.size > REMEMBERED_COMMITS) this.commits.delete(this.commits.keys().next().value as string);
    }
    return files;
  }
}

function key(repo: string, sha: string): string {
  // GitHub owner and repo names are case-insensitive.
  return `${repo.toLowerCase()}@${sha}`;
}
