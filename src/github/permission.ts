import type { GitHubClient } from './github-client.js';

/** A user's role on a repo as GitHub names it; `none` when they have none (or are not a user GitHub knows). */
export type RepoRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

const WRITERS: ReadonlySet<RepoRole> = new Set(['admin', 'maintain', 'write']);

/**
 * Asks GitHub for a user's role on a repo (never guessed from `author_association`, which says nothing about
 * teams or the current moment). Errors other than "no such user" are thrown: not knowing is not a "no".
 */
export async function repoRole(octokit: GitHubClient, owner: string, repo: string, username: string): Promise<RepoRole> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username });
    const role = (data.role_name ?? data.permission) as string;
    return isRole(role) ? role : 'none';
  } catch (error) {
    if ((error as { status?: number }).status === 404) return 'none';
    throw error;
  }
}

/** Whether a role may build and deploy: write, maintain or admin. */
export function canWrite(role: RepoRole): boolean {
  return WRITERS.has(role);
}

function isRole(value: string): value is RepoRole {
  return ['admin', 'maintain', 'write', 'triage', 'read', 'none'].includes(value);
}
