import type { Logger } from 'probot';
import type { ContainerEngine } from '../docker/container-engine.js';
import type { GitHubClient } from '../github/github-client.js';
import { removeOrphanContainers, type RemovedContainer } from './remove-orphan-containers.js';
import type { Run, RunStore } from './run-store.js';

/** What the user reads on a run the bot could not finish. */
export const INTERRUPTED_TITLE = 'Interrupted by a restart';

/** Where recovery reaches GitHub and the engine. */
export interface RecoveryPorts {
  store: RunStore;
  engine: ContainerEngine;
  /** An installation's Octokit (Probot's `app.auth(id)`). */
  octokitFor: (installationId: number) => Promise<GitHubClient>;
  log: Logger;
}

/**
 * After a restart: every run a previous process left live is concluded, and its leftover build containers are
 * removed. None is resumed: a build's container died with the bot, and a deploy cut short may or may not have
 * committed, so the honest answer is a failed check that says so and how to retry. Nothing stays `in_progress`.
 */
export async function recoverRuns(ports: RecoveryPorts): Promise<{ concluded: Run[]; removed: RemovedContainer[] }> {
  // Containers first: they are the dead process's builds still running, and GitHub may be slow or down.
  const interrupted = ports.store.interrupted();
  for (const run of interrupted) ports.store.finish(run.id, 'failed', { error: `${INTERRUPTED_TITLE}: the bot restarted` });
  const removed = await removeOrphanContainers(ports.engine, ports.store).catch((error: unknown) => {
    ports.log.error({ err: error }, 'leftover build containers could not be listed');
    return [];
  });
  for (const run of interrupted) await concludeOnGitHub(ports, run, 'the bot restarted');
  for (const container of removed) ports.log.info({ container: container.name, run: container.runId }, 'leftover build container removed');
  ports.store.prune();
  return { concluded: interrupted, removed };
}

/**
 * Ends runs that will not finish (interrupted by a restart, or still live when a shutdown's grace period ran
 * out): `failed` in the store, and their check runs and command reply concluded on GitHub.
 */
export async function concludeRuns(ports: RecoveryPorts, runs: Run[], why: string): Promise<Run[]> {
  const concluded: Run[] = [];
  for (const run of runs) {
    // A run that ended by itself meanwhile needs nothing more.
    if (!ports.store.finish(run.id, 'failed', { error: `${INTERRUPTED_TITLE}: ${why}` })) continue;
    concluded.push(run);
    await concludeOnGitHub(ports, run, why);
  }
  return concluded;
}

/** Concludes an interrupted run's check runs and command reply on GitHub; failures are logged, not thrown. */
async function concludeOnGitHub(ports: RecoveryPorts, run: Run, why: string): Promise<void> {
  ports.log.warn({ run: run.id, repo: run.repo, sha: run.sha, state: run.state }, 'run interrupted: concluded as failed');
  if (run.installationId === undefined) return;
  try {
    const octokit = await ports.octokitFor(run.installationId);
    const [owner, repo] = run.repo.split('/');
    const summary = `s2i-bot stopped while this run was ${run.state} (${why}), so it will not finish. Nothing was deployed by it after that point. Comment \`/s2i rebuild\` on the commit's pull request or issue, or press Re-run, to run it again.`;
    for (const id of [run.buildCheckRunId, run.deployCheckRunId]) {
      if (id === undefined) continue;
      await octokit.rest.checks.update({ owner, repo, check_run_id: id, status: 'completed', conclusion: 'failure', completed_at: new Date().toISOString(), output: { title: INTERRUPTED_TITLE, summary } });
    }
    if (run.commentId !== undefined) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: run.commentId, body: `❌ ${INTERRUPTED_TITLE} while ${run.state} ${run.sha.slice(0, 7)}: comment \`/s2i rebuild\` to retry.` });
    }
  } catch (error) {
    ports.log.error({ err: error, run: run.id }, 'interrupted run could not be concluded on GitHub');
  }
}
