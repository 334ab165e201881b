import type { AppRepo } from '../events/app-repo.js';
import type { CommentTarget } from '../events/comment-event.js';
import type { GitHubClient } from '../github/github-client.js';
import type { CommitTarget } from '../pipeline/commit-run.js';

/** The commit a command acts on: a pull request's head, or the head of the repo's default branch. */
export interface CommandSubject extends CommitTarget {
  /** The pull request commented on; undefined for an issue. */
  pullRequest?: { number: number; fork: boolean; url: string };
  /** `pull request #12 (abc1234)` or `main (abc1234)`, for replies. */
  label: string;
}

/**
 * Resolves what a comment's commands act on, when the comment arrives: a later push to the pull request does not
 * change what a writer approved or asked to deploy.
 */
export async function resolveSubject(octokit: GitHubClient, comment: CommentTarget): Promise<CommandSubject> {
  const repo: AppRepo = { owner: comment.owner, repo: comment.repo, fullName: comment.fullName, url: comment.url, defaultBranch: comment.defaultBranch, installationId: comment.installationId };
  if (comment.isPullRequest) {
    const { data } = await octokit.rest.pulls.get({ owner: comment.owner, repo: comment.repo, pull_number: comment.number });
    const fork = data.head.repo?.full_name.toLowerCase() !== comment.fullName.toLowerCase();
    return {
      ...repo,
      branch: fork ? undefined : data.head.ref,
      commit: { sha: data.head.sha, ref: fork ? `pull/${comment.number}/head` : data.head.ref },
      pullRequest: { number: comment.number, fork, url: data.html_url },
      label: `pull request #${comment.number} (${data.head.sha.slice(0, 7)})`,
    };
  }
  const { data } = await octokit.rest.repos.getBranch({ owner: comment.owner, repo: comment.repo, branch: comment.defaultBranch });
  const { commit } = data.commit;
  return {
    ...repo,
    branch: comment.defaultBranch,
    commit: {
      sha: data.commit.sha,
      ref: comment.defaultBranch,
      message: commit.message,
      ...(commit.author?.name ? { author: commit.author.email ? `${commit.author.name} <${commit.author.email}>` : commit.author.name } : {}),
      ...(commit.author?.date ? { date: commit.author.date } : {}),
    },
    label: `${comment.defaultBranch} (${data.commit.sha.slice(0, 7)})`,
  };
}
