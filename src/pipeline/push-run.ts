import type { Logger } from 'probot';
import type { PushTarget } from '../events/push-event.js';
import type { GitHubClient } from '../github/github-client.js';
import { runCommit, type BotDependencies } from './commit-run.js';

export type { BotDependencies };

/** Runs one push from the queue: builds the commit and deploys it where its branch maps. */
export async function runPush(deps: BotDependencies, octokit: GitHubClient, target: PushTarget, log: Logger, deliveryId?: string): Promise<void> {
  await runCommit(deps, octokit, target, { deploy: { kind: 'branch' }, kind: 'push', ...(deliveryId ? { deliveryId } : {}) }, log);
}
