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
import { runPush, type BotDependencies } from './pipeline/push-run.js';

/**
 * The GitHub App: registers the webhook handlers and nothing else. Handlers check their guards and queue the
 * work (or, for comments, start it without awaiting it), so the webhook is answered at once.
 */
export function s2iBot(deps: BotDependencies): ApplicationFunction {
  return (app: Probot, { addHandler }: ApplicationFunctionOptions) => {
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
      const queued = deps.queue.add(`delivery:${context.id}`, () =>
        runPush(deps, octokit, target, log).catch((error: unknown) => log.error({ err: error }, 'run failed unexpectedly')),
      );
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
      const queued = deps.queue.add(`delivery:${context.id}`, () =>
        runPullRequest(deps, octokit, target, log).catch((error: unknown) => log.error({ err: error }, 'run failed unexpectedly')),
      );
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
      if (!deps.queue.claim(`delivery:${context.id}`)) {
        log.info('delivery already seen: ignored');
        return;
      }
      // Not awaited: the reaction, the permission check and the subject are fetched now, the builds are queued.
      deps.queue.track(handleComment(deps, context.octokit as unknown as GitHubClient, target, log).catch((error: unknown) => log.error({ err: error }, 'command failed unexpectedly')));
    });

    const onCheckRequest = (decision: CheckDecision, id: string, octokit: GitHubClient, log: Probot['log']) => {
      if (!decision.act) {
        log.debug(`check request ignored: ${decision.reason}`);
        return;
      }
      const { request } = decision;
      const runLog = runLogger(log, octokit, { delivery: id, repo: request.fullName, sha: request.sha, action: request.action });
      const queued = deps.queue.add(`delivery:${id}`, () => runCheckRequest(deps, octokit, request, runLog).catch((error: unknown) => runLog.error({ err: error }, 'run failed unexpectedly')));
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
