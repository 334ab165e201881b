import { randomUUID } from 'node:crypto';
import type { Logger } from 'probot';
import type { GitHubClient } from '../github/github-client.js';

/** What every log line of a run names besides its `runId`; more fields (a pull request number) may be added. */
export interface RunLogFields extends Record<string, unknown> {
  /** `x-github-delivery` of the webhook that queued the run. */
  delivery: string;
  /** `owner/name` of the app repo. */
  repo: string;
  /** The commit the run builds. */
  sha: string;
}

/**
 * The logger of one queued run: a child of the event's logger whose every line carries a new `runId`, the delivery,
 * the repo and the sha, so one query finds everything a run logged. The event's Octokit (Probot makes one per
 * event, logging through the app's logger) is pointed at it too, so the run's GitHub request lines carry them as
 * well. Log the run through the returned logger only.
 */
export function runLogger(log: Logger, octokit: GitHubClient, fields: RunLogFields): Logger {
  const child = log.child({ runId: randomUUID(), ...fields });
  octokit.log = child.child({ name: 'github' }) as unknown as GitHubClient['log'];
  return child;
}
