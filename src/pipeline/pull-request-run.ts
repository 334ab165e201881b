import type { Logger } from 'probot';
import type { PullRequestTarget } from '../events/pull-request-event.js';
import type { GitHubClient } from '../github/github-client.js';
import { buildAwaitingApproval } from '../report/check-output.js';
import { APPROVE_ACTION, checksFor, loadConfig, runCommit, type BotDependencies } from './commit-run.js';

/**
 * A pull request's new head commit: built (`s2i/build`, no deploy) when it comes from this repo, unless its branch
 * deploys on push anyway; held for approval when it comes from a fork, whose code runs only after a writer
 * approves that exact commit (`/s2i build` or the check's button).
 */
export async function runPullRequest(deps: BotDependencies, octokit: GitHubClient, target: PullRequestTarget, log: Logger): Promise<void> {
  if (!target.fork) {
    await runCommit(deps, octokit, target, { deploy: { kind: 'none' }, skipWhenBranchDeploys: true, kind: 'pr' }, log);
    return;
  }
  const loaded = await loadConfig(octokit, target);
  if (loaded.status === 'missing') return;
  await checksFor(deps, octokit, target, log)
    .check('s2i/build')
    .complete('action_required', buildAwaitingApproval(target.commit.sha, target.author), {
      detailsUrl: target.pullRequestUrl,
      actions: [{ label: 'Build this commit', description: 'Approve and build exactly this commit', identifier: APPROVE_ACTION }],
    });
  log.info({ repo: target.fullName, sha: target.commit.sha, pullRequest: target.number }, 'pull request from a fork: waiting for approval');
}
