import { appRepoOf, type AppRepo, type RepositoryPayload } from './app-repo.js';

/** The parts of a `check_run` or `check_suite` payload the bot reads. */
export interface CheckRunPayload {
  action: string;
  check_run: { name: string; head_sha: string; check_suite: { head_branch?: string | null }; pull_requests?: Array<{ number: number }> };
  requested_action?: { identifier?: string };
  repository: RepositoryPayload;
  installation?: { id: number };
  sender: { login: string; type?: string };
}

export interface CheckSuitePayload {
  action: string;
  check_suite: { head_sha: string; head_branch?: string | null; pull_requests?: Array<{ number: number }> };
  repository: RepositoryPayload;
  installation?: { id: number };
  sender: { login: string; type?: string };
}

/** A click on "Re-run" or on one of the bot's check buttons. */
export interface CheckRequest extends AppRepo {
  sha: string;
  /** The branch GitHub names for the commit; it may be a fork's, so it is trusted only when it still points here. */
  branch: string | undefined;
  /** A pull request of this repo with the commit, to answer on. */
  pullRequest: number | undefined;
  sender: string;
  /** `rerun`: Re-run; otherwise the button's identifier. */
  action: string;
}

export type CheckDecision = { act: true; request: CheckRequest } | { act: false; reason: string };

const BOT_CHECKS = new Set(['s2i/build', 's2i/deploy']);

/** Whether a check-run event is a request for the bot: Re-run or a button of one of its checks, by a person. */
export function decideCheckRun(payload: CheckRunPayload): CheckDecision {
  if (!BOT_CHECKS.has(payload.check_run.name)) return { act: false, reason: `${payload.check_run.name} is not a check of s2i-bot` };
  if (payload.action === 'rerequested') return decide(payload, payload.check_run.head_sha, payload.check_run.check_suite.head_branch, payload.check_run.pull_requests, 'rerun');
  if (payload.action === 'requested_action' && payload.requested_action?.identifier) {
    return decide(payload, payload.check_run.head_sha, payload.check_run.check_suite.head_branch, payload.check_run.pull_requests, payload.requested_action.identifier);
  }
  return { act: false, reason: `check run ${payload.action}: nothing was asked` };
}

/** "Re-run all checks" of a suite the bot's checks are in. */
export function decideCheckSuite(payload: CheckSuitePayload): CheckDecision {
  if (payload.action !== 'rerequested') return { act: false, reason: `check suite ${payload.action}: nothing was asked` };
  return decide(payload, payload.check_suite.head_sha, payload.check_suite.head_branch, payload.check_suite.pull_requests, 'rerun');
}

function decide(
  payload: Pick<CheckRunPayload, 'repository' | 'installation' | 'sender'>,
  sha: string,
  branch: string | null | undefined,
  pullRequests: Array<{ number: number }> | undefined,
  action: string,
): CheckDecision {
  if (!payload.installation) return { act: false, reason: 'the delivery names no installation' };
  if (payload.sender.type === 'Bot') return { act: false, reason: 'requested by a bot' };
  if (!/^[0-9a-f]{40}$/.test(sha)) return { act: false, reason: `"${sha}" is not a commit SHA` };
  return {
    act: true,
    request: {
      ...appRepoOf(payload.repository, payload.installation),
      sha,
      branch: branch ?? undefined,
      pullRequest: pullRequests?.[0]?.number,
      sender: payload.sender.login,
      action,
    },
  };
}
