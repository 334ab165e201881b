import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { SourceCommit } from '../build/image-labels.js';

const run = promisify(execFile);

/** What git knows about a local source directory; everything is undefined outside a git work tree. */
export interface LocalSource {
  commit?: SourceCommit;
  /** Uncommitted changes: the commit does not describe the source exactly. */
  dirty: boolean;
  /** `origin`'s URL, else the directory's absolute path. */
  location: string;
}

/** Reads HEAD's commit, branch and origin of a directory with git, if it is a checkout. */
export async function describeLocalSource(dir: string): Promise<LocalSource> {
  const absolute = resolve(dir);
  const git = async (...args: string[]) => (await run('git', ['-C', absolute, ...args])).stdout.trim();
  try {
    const [sha, author, date, message] = (await git('log', '-1', '--format=%H%n%an <%ae>%n%aI%n%s')).split('\n');
    const ref = await git('rev-parse', '--abbrev-ref', 'HEAD').catch(() => '');
    const origin = await git('remote', 'get-url', 'origin').catch(() => '');
    const dirty = (await git('status', '--porcelain', '--', '.')) !== '';
    return { commit: { sha, author, date, message, ref: ref === 'HEAD' ? undefined : ref }, dirty, location: withoutCredentials(origin) || absolute };
  } catch {
    return { dirty: false, location: absolute };
  }
}

/** A remote URL without the user/token part (`https://x-access-token:…@github.com/a/b` → `https://github.com/a/b`). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // scp-like `git@github.com:a/b.git` is not a URL and carries no secret.
    return url;
  }
}
