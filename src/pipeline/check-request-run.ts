import type { Logger } from 'probot';
import type { CheckRequest } from '../events/check-event.js';
import type { GitHubClient } from '../github/github-client.js';
import { canWrite, repoRole } from '../github/permission.js';
import { APPROVE_ACTION, environmentOfAction, REBUILD_ACTION, runCommit, type BotDependencies, type CommitRunRequest, type CommitTarget } from './commit-run.js';

/**
 * Re-run and the check buttons, with the same rule as the commands: only users with write access. Re-run builds
 * again and deploys where a push of the branch would, but only while the branch still points at the commit, so
 * re-running an old commit never moves an environment back (and a fork's branch name never selects one).
 */
export async function runCheckRequest(deps: BotDependencies, octokit: GitHubClient, request: CheckRequest, log: Logger): Promise<void> {
  const role = await repoRole(octokit, request.owner, request.repo, request.sender);
  if (!canWrite(role)) {
    log.info({ user: request.sender, role, action: request.action }, 'check request refused: no write access');
    if (request.pullRequest !== undefined) {
      await octokit.rest.issues
        .createComment({
          owner: request.owner,
          repo: request.repo,
          issue_number: request.pullRequest,
          body: `🚫 @${request.sender}, running s2i-bot's checks again needs write access to ${request.fullName} (you have ${role === 'none' ? 'no access' : role}). Nothing was run.`,
        })
        .catch((error: unknown) => log.error({ err: error }, 'comment could not be written'));
    }
    return;
  }
  const branch = request.branch !== undefined && (await branchHead(octokit, request, request.branch)) === request.sha ? request.branch : undefined;
  const target: CommitTarget = { ...request, branch, commit: { sha: request.sha, ...(branch ? { ref: branch } : {}) } };
  const environment = environmentOfAction(request.action);
  let run: CommitRunRequest;
  if (environment !== undefined) run = { deploy: { kind: 'environment', environment } };
  else if (request.action === APPROVE_ACTION) run = { deploy: { kind: 'none' } };
  else if (request.action === 'rerun' || request.action === REBUILD_ACTION) {
    run = { deploy: branch ? { kind: 'branch' } : { kind: 'none' }, buildWhenUnmapped: true, rebuild: true, noCache: request.action === REBUILD_ACTION };
  } else {
    log.info({ action: request.action }, 'unknown check action: ignored');
    return;
  }
  await runCommit(deps, octokit, target, { ...run, kind: 'rerun' }, log);
}

async function branchHead(octokit: GitHubClient, request: CheckRequest, branch: string): Promise<string | undefined> {
  try {
    const { data } = await octokit.rest.repos.getBranch({ owner: request.owner, repo: request.repo, branch });
    return data.commit.sha;
  } catch (error) {
    if ((error as { status?: number }).status === 404) return undefined;
    throw error;
  }
}
