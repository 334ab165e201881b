import type { Logger } from 'probot';
import type { BuildEngineSettings } from '../build/build-image.js';
import type { SourceCommit } from '../build/image-labels.js';
import { environmentForBranch, environmentsOf } from '../config/load-repo-config.js';
import { CONFIG_PATH, readRepoConfig, type LoadedConfig } from '../config/read-repo-config.js';
import type { RepoConfig } from '../config/schema.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import type { AppRepo } from '../events/app-repo.js';
import type { GitHubClient } from '../github/github-client.js';
import type { ReadinessCheck } from '../health/health-handler.js';
import type { BotMetrics } from '../metrics/bot-metrics.js';
import type { CommitFileCache } from '../gitops/commit-file-cache.js';
import type { ConfigRepo } from '../gitops/config-repo.js';
import { DryRunConfigRepo } from '../gitops/dry-run-config-repo.js';
import { GitHubConfigRepo, type DefaultBranchCache } from '../gitops/github-config-repo.js';
import type { Pin } from '../gitops/pin.js';
import type { RunQueue } from '../queue/run-queue.js';
import type { PushResult } from '../registry/push-image.js';
import type { CheckAction } from '../report/check-output.js';
import { configInvalid, configUnreadable } from '../report/config-output.js';
import { GitHubChecks } from '../report/github-check-run.js';
import { GitHubDeployments } from '../report/github-deployments.js';
import { GITHUB_TARBALL_STRIP, openGitHubTarball } from '../source/github-tarball.js';
import { runPipeline, type PipelineResult } from './run-pipeline.js';

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
  /** Config-repo files at commits, shared by all runs: after the bot's own commit the policy is not read again. */
  commitFiles?: CommitFileCache;
  /** `S2I_DRY_RUN`: everything but the config-repo write. */
  dryRun?: boolean;
  /** Prometheus metrics, served at `/metrics`; none: no metrics. */
  metrics?: BotMetrics;
  /** What `/readyz` checks besides the engine (e.g. the run store). */
  readinessChecks?: ReadinessCheck[];
}

/** The app repo and the commit of a run. */
export interface CommitTarget extends AppRepo {
  /** The branch the commit is the head of; undefined when it is not a branch of this repo (a fork's commit). */
  branch: string | undefined;
  commit: SourceCommit;
}

/**
 * Where a run deploys: where a push of its branch would (`branch`), nowhere (`none`: a pull request's build), or
 * the environment a command named.
 */
export type DeployIntent = { kind: 'branch' } | { kind: 'none' } | { kind: 'environment'; environment: string };

export interface CommitRunRequest {
  deploy: DeployIntent;
  /** Build even when the registry has the commit's image. */
  rebuild?: boolean;
  /** Build without incremental artifacts. */
  noCache?: boolean;
  /** With `deploy: branch`, build without deploying when the branch maps to no environment (`/s2i rebuild`). */
  buildWhenUnmapped?: boolean;
  /** Do nothing when the commit's branch deploys somewhere: its push runs it (a pull request's build). */
  skipWhenBranchDeploys?: boolean;
  /** Deploy this image, pinned, instead of building (a rollback). */
  rollback?: { image: PushResult; pin: Pin };
  /** The config, when the caller already read it at this commit. */
  config?: RepoConfig;
}

/** What became of a run request; `ran` carries the pipeline's result and the checks it wrote. */
export type CommitRunResult =
  | { status: 'no-config' }
  | { status: 'invalid'; checks: GitHubChecks }
  | { status: 'not-configured'; branch: string | undefined }
  | { status: 'unknown-environment'; environment: string; known: string[] }
  | { status: 'duplicate' }
  | { status: 'ran'; environment: string | undefined; result: PipelineResult; checks: GitHubChecks };

/** Identifiers of the `s2i/build` buttons; GitHub caps an identifier at 20 characters. */
export const REBUILD_ACTION = 'rebuild-no-cache';
/** The button on a fork's waiting `s2i/build`: approve and build exactly that commit. */
export const APPROVE_ACTION = 'approve-build';
const DEPLOY_ACTION_PREFIX = 'deploy:';

/** The environment a "Deploy to" button deploys to; undefined for another identifier. */
export function environmentOfAction(identifier: string): string | undefined {
  return identifier.startsWith(DEPLOY_ACTION_PREFIX) ? identifier.slice(DEPLOY_ACTION_PREFIX.length) : undefined;
}

/**
 * Runs one commit of an app repo: reads `.github/s2i.yml` at the commit (unless given), picks the environment the
 * request asks for, and hands the commit to the pipeline with GitHub as source, config repo and report. Pushes,
 * pull requests, comment commands and check-run buttons all come through here.
 */
export async function runCommit(deps: BotDependencies, octokit: GitHubClient, target: CommitTarget, request: CommitRunRequest, log: Logger): Promise<CommitRunResult> {
  const checks = checksFor(deps, octokit, target, log);
  let config = request.config;
  if (!config) {
    const loaded = await loadConfig(octokit, target);
    switch (loaded.status) {
      case 'missing':
        log.debug({ repo: target.fullName, sha: target.commit.sha }, `no ${CONFIG_PATH} at this commit: nothing to do`);
        return { status: 'no-config' };
      case 'unreadable':
        await checks.check('s2i/build').complete('failure', configUnreadable(loaded.error.message));
        return { status: 'invalid', checks };
      case 'invalid':
        await checks.check('s2i/build').complete('failure', configInvalid(loaded.problems));
        return { status: 'invalid', checks };
      case 'ok':
        config = loaded.config;
    }
  }

  const branchEnvironment = target.branch === undefined ? undefined : environmentForBranch(config, target.branch)?.environment;
  let environment: string | undefined;
  switch (request.deploy.kind) {
    case 'branch':
      if (!branchEnvironment && !request.buildWhenUnmapped) {
        log.debug({ repo: target.fullName, branch: target.branch }, `branch matches no "branches" entry of ${CONFIG_PATH}: not built`);
        return { status: 'not-configured', branch: target.branch };
      }
      environment = branchEnvironment;
      break;
    case 'none':
      if (request.skipWhenBranchDeploys && branchEnvironment) {
        log.debug({ repo: target.fullName, branch: target.branch }, `branch deploys to ${branchEnvironment}: its push runs it`);
        return { status: 'duplicate' };
      }
      break;
    case 'environment': {
      const known = environmentsOf(config);
      if (!known.includes(request.deploy.environment)) return { status: 'unknown-environment', environment: request.deploy.environment, known };
      environment = request.deploy.environment;
    }
  }
  // A repeated request (a redelivered push, a second command) is refused unless it asks for a new build or a rollback.
  const fresh = request.rebuild || request.rollback;
  if (!fresh && !deps.queue.claim(`${target.fullName}@${target.commit.sha}#${environment ?? ''}`)) {
    log.info({ repo: target.fullName, sha: target.commit.sha, environment }, 'this commit was already run for this environment: skipped');
    return { status: 'duplicate' };
  }

  const observer = deps.metrics?.observeRun();
  const result = await runPipeline(
    {
      repo: target.fullName,
      sourceUrl: target.url,
      commit: target.commit,
      config,
      environment,
      rebuild: request.rebuild,
      noCache: request.noCache,
      ...(request.rollback ? { image: request.rollback.image, pin: request.rollback.pin } : {}),
      buildActions: buildActions(config, environment),
    },
    {
      engine: deps.engine,
      settings: deps.settings,
      env: deps.env,
      openSource: () => openGitHubTarball(octokit, target.owner, target.repo, target.commit.sha),
      stripComponents: GITHUB_TARBALL_STRIP,
      configRepo: (gitops) => configRepoFor(deps, octokit, gitops, log),
      reporter: checks,
      deployments: new GitHubDeployments(octokit, { owner: target.owner, repo: target.repo }, (error) => log.error({ err: error }, 'deployment could not be recorded')),
      dryRun: deps.dryRun,
      allowedKinds: deps.allowedKinds,
      onEvent: (event) => {
        observer?.onEvent(event);
        if (event.kind === 'phase') log.debug({ repo: target.fullName, sha: target.commit.sha, phase: event.phase }, event.message);
      },
    },
  );
  observer?.finish(result);
  log.info({ repo: target.fullName, sha: target.commit.sha, environment, ok: result.ok, timings: result.timings }, 'run finished');
  return { status: 'ran', environment, result, checks };
}

/** The check runs of a commit, written by this installation's Octokit. */
export function checksFor(deps: Pick<BotDependencies, 'checkRefreshMs'>, octokit: GitHubClient, target: Pick<CommitTarget, 'owner' | 'repo' | 'commit'>, log: Logger): GitHubChecks {
  return new GitHubChecks(octokit, {
    owner: target.owner,
    repo: target.repo,
    headSha: target.commit.sha,
    refreshIntervalMs: deps.checkRefreshMs,
    onError: (error, name) => log.error({ err: error, check: name }, 'check run could not be written'),
  });
}

/** The config repo a config names, written by this installation's Octokit (or only pretended to, in a dry run). */
export function configRepoFor(deps: Pick<BotDependencies, 'defaultBranches' | 'commitFiles' | 'dryRun'>, octokit: GitHubClient, gitops: RepoConfig['gitops'], log: Logger): ConfigRepo {
  const [owner, repo] = gitops.repo.split('/');
  const configRepo = new GitHubConfigRepo({ octokit, owner, repo, branch: gitops.branch, mode: gitops.mode, defaultBranches: deps.defaultBranches, commitFiles: deps.commitFiles });
  return deps.dryRun ? new DryRunConfigRepo(configRepo, (message, files) => log.info({ files }, message)) : configRepo;
}

/** Reads the config at the commit; a GitHub failure is a result too, so the user is told. */
export async function loadConfig(octokit: GitHubClient, target: Pick<CommitTarget, 'owner' | 'repo' | 'commit' | 'defaultBranch'>): Promise<LoadedConfig | { status: 'unreadable'; error: Error }> {
  return readRepoConfig(octokit, target).catch((error: unknown) => ({ status: 'unreadable' as const, error: error instanceof Error ? error : new Error(String(error)) }));
}

/** "Rebuild (no cache)", and "Deploy to <env>" for the environments deployed only on request (as many as fit). */
function buildActions(config: RepoConfig, deployingTo: string | undefined): CheckAction[] {
  const actions: CheckAction[] = [{ label: 'Rebuild (no cache)', description: 'Build this commit again from scratch', identifier: REBUILD_ACTION }];
  for (const environment of config.environments) {
    const identifier = `${DEPLOY_ACTION_PREFIX}${environment}`;
    if (environment === deployingTo || identifier.length > 20 || actions.length === 3) continue;
    actions.push({ label: `Deploy to ${environment}`.slice(0, 20), description: `Deploy this commit to ${environment}`.slice(0, 40), identifier });
  }
  return actions;
}
