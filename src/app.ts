import type { ApplicationFunction, Probot } from 'probot';
import { decidePush } from './events/push-event.js';
import type { GitHubClient } from './github/github-client.js';
import { runPush, type BotDependencies } from './pipeline/push-run.js';

/**
 * The GitHub App: registers the webhook handlers and nothing else. Handlers check their guards and queue the
 * work, so the webhook is answered at once; the queue runs it.
 */
export function s2iBot(deps: BotDependencies): ApplicationFunction {
  return (app: Probot) => {
    app.on('push', async (context) => {
      const decision = decidePush(context.payload);
      if (!decision.act) {
        context.log.debug({ repo: context.payload.repository.full_name, ref: context.payload.ref }, `push ignored: ${decision.reason}`);
        return;
      }
      const { target } = decision;
      const octokit = context.octokit as unknown as GitHubClient;
      const log = context.log.child({ delivery: context.id, repo: target.fullName, sha: target.commit.sha });
      const queued = deps.queue.add(`delivery:${context.id}`, () =>
        runPush(deps, octokit, target, log).catch((error: unknown) => log.error({ err: error }, 'run failed unexpectedly')),
      );
      log.info({ branch: target.branch, queued }, queued ? 'push queued' : 'delivery already seen: ignored');
    });
  };
}
