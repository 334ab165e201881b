import type { ApplicationFunction, ApplicationFunctionOptions, Probot } from 'probot';
import { handleComment } from './commands/handle-comment.js';
import { decideCheckRun, decideCheckSuite, type CheckDecision } from './events/check-event.js';
import { decideComment } from './events/comment-event.js';
import { decidePullRequest } from './events/pull-request-event.js';
import { decidePush } from './events/push-event.js';
import { healthHandler } from './health/health-handler.js';
import { runLogger } from './metrics/run-logger.js';
import { serveMetrics } from './metrics/serve-metrics.js';
import type { GitHubClient } from './github/github-client.js';
import { runCheckRequest } from './pipeline/check-request-run.js';
import { runPullRequest } from './pipeline/pull-request-run.js';
import type { AppDependencies, BotDependencies } from './pipeline/commit-run.js';
import { runPush } from './pipeline/push-run.js';
import { ActiveRuns } from './queue/active-runs.js';
import { recoverRuns } from './store/recover-runs.js';
import { RunStore } from './store/run-store.js';

/**
 * The GitHub App: registers the webhook handlers and nothing else. Handlers check their guards and queue the
 * work (or, for comments, start it without awaiting it), so the webhook is answered at once.
 */
export function s2iBot(given: AppDependencies): ApplicationFunction {
  // Without a data directory (tests of other parts), runs are remembered for the life of the process only.
  const deps: BotDependencies = { ...given, store: given.store ?? RunStore.open({ path: ':memory:' }), active: given.active ?? new ActiveRuns() };
  /**
   * Starts the work of a delivery without awaiting it, once per delivery id (a redelivered webhook is ignored,
   * also after a restart). The queue limits how many builds run at once.
   */
  const start = (delivery: string, event: string, log: Probot['log'], work: () => Promise<unknown>): boolean => {
    if (!deps.store.markDelivery(delivery, event)) return false;
    deps.queue.track(work().then(() => undefined, (error: unknown) => log.error({ err: error }, 'run failed unexpectedly')));
    return true;
  };
  return (app: Probot, { addHandler }: ApplicationFunctionOptions) => {
    given.onLoad?.(app);
    if (given.recoverOnStart) {
      const recovery = recoverRuns({ store: deps.store, engine: deps.engine, octokitFor: async (id) => (await app.auth(id)) as unknown as GitHubClient, log: app.log });
      deps.queue.track(recovery.then(() => undefined, (error: unknown) => app.log.error({ err: error }, 'interrupted runs could not be recovered')));
    }
    addHandler(healthHandler({ engine: deps.engine, checks: deps.readinessChecks }));
    if (deps.metrics) serveMetrics(app, addHandler, deps.metrics);

    app.on('push', async (context) => {
      const decision = decidePush(context.payload);
      if (!decision.act) {
        context.log.debug({ repo: context.payload.repository.full_name, ref: context.payload.ref }, `push ignored: ${decision.reason}`);
        return;
      }
      const { target } = decision;
      const octokit = context.octokit as unknown as GitHubClient;
      const log = runLogger(context.log, octokit, { delivery: context.id, repo: target.fullName, sha: target.commit.sha });
      const queued = start(context.id, 'push', log, () => runPush(deps, octokit, target, log, context.id));
      log.info({ branch: target.branch, queued }, queued ? 'push queued' : 'delivery already seen: ignored');
    });

    app.on(['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened'], async (context) => {
      const decision = decidePullRequest(context.payload);
      if (!decision.act) {
        context.log.debug({ repo: context.payload.repository.full_name }, `pull request ignored: ${decision.reason}`);
        return;
      }
      const { target } = decision;
      const octokit = context.octokit as unknown as GitHubClient;
      const log = runLogger(context.log, octokit, { delivery: context.id, repo: target.fullName, sha: target.commit.sha, pullRequest: target.number });
      const queued = start(context.id, 'pull_request', log, () => runPullRequest(deps, octokit, target, log));
      log.info({ fork: target.fork, queued }, queued ? 'pull request queued' : 'delivery already seen: ignored');
    });

    app.on('issue_comment.created', async (context) => {
      const decision = decideComment(context.payload);
      if (!decision.act) {
        context.log.debug({ repo: context.payload.repository.full_name }, `comment ignored: ${decision.reason}`);
        return;
      }
      const { target } = decision;
      const log = context.log.child({ delivery: context.id, repo: target.fullName, comment: target.commentId });
      // The reaction, the permission check and the subject are fetched now; builds wait for a slot.
      if (!start(context.id, 'issue_comment', log, () => handleComment(deps, context.octokit as unknown as GitHubClient, target, log))) log.info('delivery already seen: ignored');
    });

    const onCheckRequest = (decision: CheckDecision, id: string, octokit: GitHubClient, log: Probot['log']) => {
      if (!decision.act) {
        log.debug(`check request ignored: ${decision.reason}`);
        return;
      }
      const { request } = decision;
      const runLog = runLogger(log, octokit, { delivery: id, repo: request.fullName, sha: request.sha, action: request.action });
      const queued = start(id, 'check_run', runLog, () => runCheckRequest(deps, octokit, request, runLog));
      runLog.info({ user: request.sender, queued }, queued ? 'check request queued' : 'delivery already seen: ignored');
    };
    app.on(['check_run.rerequested', 'check_run.requested_action'], async (context) => {
      onCheckRequest(decideCheckRun(context.payload), context.id, context.octokit as unknown as GitHubClient, context.log);
    });
    app.on('check_suite.rerequested', async (context) => {
      onCheckRequest(decideCheckSuite(context.payload), context.id, context.octokit as unknown as GitHubClient, context.log);
    });
  };
}
