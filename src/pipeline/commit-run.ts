import type { Logger, Probot } from 'probot';
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
import type { ActiveRuns } from '../queue/active-runs.js';
import type { RunQueue } from '../queue/run-queue.js';
import { ownedEngine } from '../store/container-owner.js';
import type { Run, RunKind, RunStore } from '../store/run-store.js';
import type { PushResult } from '../registry/push-image.js';
import { buildCancelled, type CheckAction, type CheckName } from '../report/check-output.js';
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
  /** Runs across restarts: deliveries seen, each run's state, check runs and image (SQLite). */
  store: RunStore;
  /** The runs executing in this process, to cancel them. */
  active: ActiveRuns;
  /** `S2I_DRY_RUN`: everything but the config-repo write. */
  dryRun?: boolean;
  /** Prometheus metrics, served at `/metrics`; none: no metrics. */
  metrics?: BotMetrics;
  /** What `/readyz` checks besides the engine (e.g. the run store). */
  readinessChecks?: ReadinessCheck[];
}

/** What the app is given: the run store and the active runs have in-memory defaults. */
export type AppDependencies = Omit<BotDependencies, 'store' | 'active'> &
  Partial<Pick<BotDependencies, 'store' | 'active'>> & {
    /** Conclude the runs a previous process left live, and remove its build containers, when the app loads. */
    recoverOnStart?: boolean;
    /** Told the Probot app once loaded (shutdown needs its installation auth and log). */
    onLoad?: (app: Probot) => void;
  };

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
  /**
   * Asked when the run gets its slot, right before it builds: false stops it (a command's author lost write
   * access while it waited). The callback tells the user.
   */
  mayStart?: () => Promise<boolean>;
  /** How the run was asked for, as the run store records it (default `push`). */
  kind?: RunKind;
  /** The webhook delivery that asked for it. */
  deliveryId?: string;
  /** The bot's reply comment a command run is answered in (concluded too if the run is interrupted). */
  commentId?: number;
}

/** What became of a run request; `ran` carries the pipeline's result and the checks it wrote. */
export type CommitRunResult =
  | { status: 'no-config' }
  | { status: 'invalid'; checks: GitHubChecks }
  | { status: 'not-configured'; branch: string | undefined }
  | { status: 'unknown-environment'; environment: string; known: string[] }
  | { status: 'duplicate' }
  | { status: 'cancelled'; reason: string; checks: GitHubChecks }
  | { status: 'refused' }
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
  // A commit is run once per environment; asking again (a rebuild, a rollback) runs it again once the first ended.
  const { store } = deps;
  const fresh = Boolean(request.rebuild || request.rollback);
  const claim = store.claimRun(
    { repo: target.fullName, sha: target.commit.sha, environment, kind: request.kind ?? 'push', branch: target.branch, installationId: target.installationId, deliveryId: request.deliveryId, commentId: request.commentId },
    { once: !fresh },
  );
  if (!claim.claimed) {
    log.info({ repo: target.fullName, sha: target.commit.sha, environment, run: claim.existing.id }, 'this commit was already run for this environment: skipped');
    return { status: 'duplicate' };
  }
  const run = claim.run;
  if (request.deploy.kind === 'branch') supersedeOlder(deps, run, target.commit.sha, log);
  return deps.queue.slot(() => execute(deps, octokit, target, request, { config, environment, runId: run.id, checks }, log));
}

/** A newer push of the branch cancels the older runs of the same environment: queued ones never start. */
function supersedeOlder(deps: BotDependencies, newer: Run, sha: string, log: Logger): void {
  for (const older of deps.store.superseded(newer)) {
    const reason = `Superseded by the newer commit ${sha.slice(0, 7)} of ${newer.branch ?? 'this branch'}`;
    if (!deps.active.cancel(older.id, reason)) deps.store.finish(older.id, 'cancelled', { error: reason });
    log.info({ run: older.id, sha: older.sha, newer: sha }, 'older run superseded');
  }
}

async function execute(
  deps: BotDependencies,
  octokit: GitHubClient,
  target: CommitTarget,
  request: CommitRunRequest,
  prepared: { config: RepoConfig; environment: string | undefined; runId: number; checks: GitHubChecks },
  log: Logger,
): Promise<CommitRunResult> {
  const { store } = deps;
  const { config, environment, runId } = prepared;
  if (request.mayStart && !(await request.mayStart())) {
    store.finish(runId, 'cancelled', { error: 'refused when it was about to start' });
    return { status: 'refused' };
  }
  if (!store.advance(runId, 'building')) {
    // Cancelled while it waited for a slot: say so on the commit, and do nothing else.
    const reason = store.get(runId)?.error ?? 'Cancelled before it started';
    await prepared.checks.check('s2i/build').complete('cancelled', buildCancelled(reason));
    return { status: 'cancelled', reason, checks: prepared.checks };
  }
  // Kept while the run is live, so a restart can conclude the check; a run that already ended needs nothing more.
  const checks = checksFor(deps, octokit, target, log, (name, id) => {
    const state = store.get(runId)?.state;
    if (state === 'queued' || state === 'building' || state === 'pushing' || state === 'deploying') {
      store.advance(runId, state, name === 's2i/build' ? { buildCheckRunId: id } : { deployCheckRunId: id });
    }
  });
  const signal = deps.active.start(runId);
  let result: PipelineResult;
  try {
    result = await executePipeline(deps, octokit, target, request, { config, environment, checks, signal, runId }, log);
  } catch (error) {
    store.finish(runId, 'failed', { error: (error as Error).message });
    throw error;
  } finally {
    deps.active.end(runId);
  }
  const deployed = result.deploy !== undefined && result.deploy.status !== 'dry-run' && result.deploy.status !== 'pull-request';
  store.finish(runId, signal.aborted ? 'cancelled' : result.ok ? 'done' : 'failed', {
    ...(result.push ? { image: result.push.pinned, imageDigest: result.push.digest } : {}),
    ...(result.deploy?.status === 'committed' ? { configCommit: result.deploy.commitSha } : {}),
    ...(deployed ? { deployed: true } : {}),
  });
  log.info({ repo: target.fullName, sha: target.commit.sha, environment, ok: result.ok, timings: result.timings }, 'run finished');
  return { status: 'ran', environment, result, checks };
}

async function executePipeline(
  deps: BotDependencies,
  octokit: GitHubClient,
  target: CommitTarget,
  request: CommitRunRequest,
  run: { config: RepoConfig; environment: string | undefined; checks: GitHubChecks; signal: AbortSignal; runId: number },
  log: Logger,
): Promise<PipelineResult> {
  const { config, environment, checks } = run;
  const { store } = deps;
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
      engine: ownedEngine(deps.engine, { instance: store.instance, runId: run.runId }),
      settings: deps.settings,
      env: deps.env,
      signal: run.signal,
      // A push never moves its environment back to an older commit; a command or a rollback is a deliberate choice.
      ...(request.deploy.kind === 'branch' ? { deployedNewer: () => store.overtakenBy(run.runId)?.sha } : {}),
      openSource: () => openGitHubTarball(octokit, target.owner, target.repo, target.commit.sha),
      stripComponents: GITHUB_TARBALL_STRIP,
      configRepo: (gitops) => configRepoFor(deps, octokit, gitops, log),
      reporter: checks,
      deployments: new GitHubDeployments(octokit, { owner: target.owner, repo: target.repo }, (error) => log.error({ err: error }, 'deployment could not be recorded')),
      dryRun: deps.dryRun,
      allowedKinds: deps.allowedKinds,
      onEvent: (event) => {
        observer?.onEvent(event);
        if (event.kind === 'phase' && (event.phase === 'push' || event.phase === 'render')) store.advance(run.runId, event.phase === 'push' ? 'pushing' : 'deploying');
        if (event.kind === 'phase') log.debug({ repo: target.fullName, sha: target.commit.sha, phase: event.phase }, event.message);
      },
    },
  );
  observer?.finish(result);
  return result;
}

/** The check runs of a commit, written by this installation's Octokit. */
export function checksFor(
  deps: Pick<BotDependencies, 'checkRefreshMs'>,
  octokit: GitHubClient,
  target: Pick<CommitTarget, 'owner' | 'repo' | 'commit'>,
  log: Logger,
  onCreated?: (name: CheckName, id: number) => void,
): GitHubChecks {
  return new GitHubChecks(octokit, {
    owner: target.owner,
    repo: target.repo,
    headSha: target.commit.sha,
    refreshIntervalMs: deps.checkRefreshMs,
    onError: (error, name) => log.error({ err: error, check: name }, 'check run could not be written'),
    ...(onCreated ? { onCreated } : {}),
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
