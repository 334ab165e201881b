import type { CommitTarget } from '../pipeline/commit-run.js';
import { appRepoOf, type RepositoryPayload } from './app-repo.js';

/** The parts of a `pull_request` payload the bot reads. */
export interface PullRequestPayload {
  action: string;
  number: number;
  pull_request: {
    html_url: string;
    head: { sha: string; ref: string; repo: { full_name: string } | null };
    base: { repo: { full_name: string } };
    user: { login: string } | null;
  };
  repository: RepositoryPayload;
  installation?: { id: number };
}

/** A pull request's head commit to build, or to hold for approval when it comes from a fork. */
export interface PullRequestTarget extends CommitTarget {
  number: number;
  /** The head is in another repo: nothing runs until a writer approves this exact commit. */
  fork: boolean;
  author: string;
  pullRequestUrl: string;
}

export type PullRequestDecision = { act: true; target: PullRequestTarget } | { act: false; reason: string };

const BUILT_ACTIONS = new Set(['opened', 'synchronize', 'reopened']);

/** Whether a pull-request event brings a head commit to build: opened, new commits pushed, or reopened. */
export function decidePullRequest(payload: PullRequestPayload): PullRequestDecision {
  if (!BUILT_ACTIONS.has(payload.action)) return { act: false, reason: `pull request ${payload.action}: no new head commit` };
  if (!payload.installation) return { act: false, reason: 'the delivery names no installation' };
  const { head } = payload.pull_request;
  if (!/^[0-9a-f]{40}$/.test(head.sha)) return { act: false, reason: `"${head.sha}" is not a commit SHA` };
  const fork = head.repo?.full_name.toLowerCase() !== payload.repository.full_name.toLowerCase();
  return {
    act: true,
    target: {
      ...appRepoOf(payload.repository, payload.installation),
      // A fork's branch name says nothing about this repo's branches: it never selects an environment.
      branch: fork ? undefined : head.ref,
      commit: { sha: head.sha, ref: fork ? `pull/${payload.number}/head` : head.ref },
      number: payload.number,
      fork,
      author: payload.pull_request.user?.login ?? 'unknown',
      pullRequestUrl: payload.pull_request.html_url,
    },
  };
}
