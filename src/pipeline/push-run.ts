import type { Logger } from 'probot';
import type { BuildEngineSettings } from '../build/build-image.js';
import { environmentForBranch } from '../config/load-repo-config.js';
import { CONFIG_PATH, readRepoConfig } from '../config/read-repo-config.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import type { PushTarget } from '../events/push-event.js';
import type { GitHubClient } from '../github/github-client.js';
import { DryRunConfigRepo } from '../gitops/dry-run-config-repo.js';
import { GitHubConfigRepo, type DefaultBranchCache } from '../gitops/github-config-repo.js';
import type { RunQueue } from '../queue/run-queue.js';
import { configInvalid, configUnreadable } from '../report/config-output.js';
import { GitHubChecks } from '../report/github-check-run.js';
import { GITHUB_TARBALL_STRIP, openGitHubTarball } from '../source/github-tarball.js';
import { runPipeline } from './run-pipeline.js';

/** What runs need that outlives one run: the engine, the settings and the queue. */
export interface BotDependencies {
  engine: ContainerEngine;
  settings: BuildEngineSettings;
  queue: RunQueue;
  /** Environment for registry credentials (`DOCKER_CONFIG`). */
  env: NodeJS.ProcessEnv;
  /** Shortest time between two refreshes of a running check's log, in ms. */
  checkRefreshMs: number;
  allowedKinds?: string[];
  /** Config repos' default branches, shared by all runs (a config without `gitops.branch` needs it). */
  defaultBranches?: DefaultBranchCache;
  /** `S2I_DRY_RUN`: everything but the config-repo write. */
  dryRun?: boolean;
}

/**
 * Runs one push from the queue: reads `.github/s2i.yml` at the pushed commit, maps the branch to an environment,
 * and hands the commit to the pipeline with GitHub as source, config repo and report.
 */
export async function runPush(deps: BotDependencies, octokit: GitHubClient, target: PushTarget, log: Logger): Promise<void> {
  const checks = new GitHubChecks(octokit, {
    owner: target.owner,
    repo: target.repo,
    headSha: target.commit.sha,
    refreshIntervalMs: deps.checkRefreshMs,
    onError: (error, name) => log.error({ err: error, check: name }, 'check run could not be written'),
  });
  const loaded = await readRepoConfig(octokit, target).catch((error: unknown) => ({ status: 'unreadable' as const, error }));
  switch (loaded.status) {
    case 'missing':
      log.debug({ repo: target.fullName, sha: target.commit.sha }, `no ${CONFIG_PATH} at this commit: nothing to do`);
      return;
    case 'unreadable':
      await checks.check('s2i/build').complete('failure', configUnreadable((loaded.error as Error).message));
      return;
    case 'invalid':
      await checks.check('s2i/build').complete('failure', configInvalid(loaded.problems));
      return;
    case 'ok':
      break;
  }

  const { config } = loaded;
  const match = environmentForBranch(config, target.branch);
  if (!match) {
    log.debug({ repo: target.fullName, branch: target.branch }, `branch matches no "branches" entry of ${CONFIG_PATH}: not built`);
    return;
  }
  if (!deps.queue.claim(`${target.fullName}@${target.commit.sha}#${match.environment}`)) {
    log.info({ repo: target.fullName, sha: target.commit.sha, environment: match.environment }, 'this commit was already run for this environment: skipped');
    return;
  }

  const result = await runPipeline(
    { repo: target.fullName, sourceUrl: target.url, commit: target.commit, config, environment: match.environment },
    {
      engine: deps.engine,
      settings: deps.settings,
      env: deps.env,
      openSource: () => openGitHubTarball(octokit, target.owner, target.repo, target.commit.sha),
      stripComponents: GITHUB_TARBALL_STRIP,
      configRepo: (gitops) => {
        const [owner, repo] = gitops.repo.split('/');
        const configRepo = new GitHubConfigRepo({ octokit, owner, repo, branch: gitops.branch, mode: gitops.mode, defaultBranches: deps.defaultBranches });
        return deps.dryRun ? new DryRunConfigRepo(configRepo, (message, files) => log.info({ files }, message)) : configRepo;
      },
      reporter: checks,
      allowedKinds: deps.allowedKinds,
      onEvent: (event) => {
        if (event.kind === 'phase') log.debug({ repo: target.fullName, sha: target.commit.sha, phase: event.phase }, event.message);
      },
    },
  );
  log.info({ repo: target.fullName, sha: target.commit.sha, environment: match.environment, ok: result.ok, timings: result.timings }, 'run finished');
}
