import type { Readable } from 'node:stream';
import { buildImage, type BuildEngineSettings, type BuildEvent, type BuildPhase } from '../build/build-image.js';
import type { SourceCommit } from '../build/image-labels.js';
import { LogTail } from '../build/log-lines.js';
import { renderGitopsPath } from '../config/load-repo-config.js';
import type { RepoConfig } from '../config/schema.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import type { ConfigRepo } from '../gitops/config-repo.js';
import { registryAuth } from '../registry/docker-config.js';
import { parseImageReference } from '../registry/image-reference.js';
import { pushImage, type PushResult } from '../registry/push-image.js';
import { DEPLOYMENT_FILE, imageOfDeployment } from '../render/deployed-image.js';
import { renderInputFor } from '../render/render-input.js';
import { renderManifests } from '../render/render-manifests.js';
import { alreadyBuilt, buildCancelled, buildInProgress, buildSucceeded, deployHeldBack, deployOvertaken, deploySucceeded, failureOutput, type BuildTarget, type CheckAction, type DeployTarget } from '../report/check-output.js';
import type { DeploymentRecord, DeploymentReporter } from '../report/deployment-reporter.js';
import { describePin, parsePin, PIN_FILE, renderPin, type Pin } from '../gitops/pin.js';
import type { CheckReporter, RunReporter } from '../report/check-reporter.js';
import { describeFailure } from '../report/describe-failure.js';
import { enforcePolicy } from '../policy/enforce-policy.js';
import { redactedPorts } from '../security/redacted-ports.js';

/** One commit to build and, when its branch maps to an environment, deploy. */
export interface PipelineJob {
  /** `owner/name` of the app repo. */
  repo: string;
  /** Repository URL (or local path) recorded in the image labels and the manifests' header. */
  sourceUrl: string;
  commit: SourceCommit;
  config: RepoConfig;
  /** The environment the branch maps to; undefined: build only. */
  environment: string | undefined;
  /**
   * Build even when the registry already has `<image>:<sha>` (a rebuild that was asked for). Otherwise an image
   * pushed for this commit before (by another branch or environment) is reused: built once, deployed many times.
   */
  rebuild?: boolean;
  /** Build clean: no incremental artifacts from a previous image (`/s2i rebuild --no-cache`). */
  noCache?: boolean;
  /** Deploy this image instead of building (a rollback): no `s2i/build` check is made. */
  image?: PushResult;
  /** Written next to the manifests in the same commit: the environment stays on this deploy until unpinned. */
  pin?: Pin;
  /** Buttons shown on the concluded `s2i/build` check. */
  buildActions?: CheckAction[];
}

/** Everything outside the pipeline it talks to: the engine, the source, the config repo and the report. */
export interface PipelinePorts {
  engine: ContainerEngine;
  settings: BuildEngineSettings;
  /** Environment for registry credentials (`DOCKER_CONFIG`). */
  env?: NodeJS.ProcessEnv;
  /** Opens the source as an uncompressed tar stream. */
  openSource: () => Readable;
  /** Leading path components of the source tar to drop (1 for GitHub tarballs). */
  stripComponents: number;
  configRepo: (gitops: RepoConfig['gitops']) => ConfigRepo;
  reporter: RunReporter;
  /** Records each deploy (GitHub Deployments); none for the CLI. */
  deployments?: DeploymentReporter;
  /** Everything but the config-repo write: no GitHub Deployment is made either. */
  dryRun?: boolean;
  /** Kinds the config repo may receive (default: Deployment, Service, Kustomization). */
  allowedKinds?: string[];
  onEvent?: (event: PipelineEvent) => void;
  /** Hides secrets in the build's log lines and errors; every run sets it from its redactor (see redacted-ports.ts). */
  redact?: (text: string) => string;
  /** Stops the run: a running build is killed and its check concluded `cancelled` with the abort's reason. */
  signal?: AbortSignal;
  /**
   * Asked at the head the deploy would be written on: a newer commit that already deployed to the environment,
   * if any, so an older run never moves it back. Its answer names that commit.
   */
  deployedNewer?: () => string | undefined;
}

export type PipelinePhase = BuildPhase | 'push' | 'render' | 'gitops';

/** Progress of a run: build events plus the phases after the build. */
export type PipelineEvent = BuildEvent | { kind: 'phase'; phase: 'push' | 'render' | 'gitops'; message: string };

export interface PipelineResult {
  /** Whether every step that was due succeeded. */
  ok: boolean;
  push?: PushResult;
  /** The config repo's answer; undefined when nothing was deployed. */
  deploy?: Awaited<ReturnType<ConfigRepo['write']>>;
  files?: string[];
  /** The environment's pin that held this deploy back (nothing was written). */
  heldBack?: Partial<Pin>;
  /** The newer commit already deployed to the environment, which this run did not move back (nothing written). */
  overtakenBy?: string;
  /** Wall time per phase in ms, in the order they ran. */
  timings: Partial<Record<PipelinePhase, number>>;
}

/**
 * The product's main job for one commit: S2I build → push `<image>:<sha>` → render manifests pinned by digest →
 * policy → one commit in the config repo, reported as the `s2i/build` and `s2i/deploy` checks.
 * Never throws for a failed step: the failing check says which step, why and what to do. A check that was
 * started is always concluded, even when something unexpected throws.
 */
export async function runPipeline(job: PipelineJob, unredacted: PipelinePorts): Promise<PipelineResult> {
  // Every sink of the run (checks, events, the build log) sees secrets only as ***.
  const given = await redactedPorts(job, unredacted);
  // One config repo per run: the incremental build's read and the deploy's write share it (and its lookups).
  let configRepo: ConfigRepo | undefined;
  const ports: PipelinePorts = { ...given, configRepo: (gitops) => (configRepo ??= given.configRepo(gitops)) };
  const timer = new PhaseTimer();
  const emit = (event: PipelineEvent) => {
    if (event.kind === 'phase') timer.enter(event.phase);
    ports.onEvent?.(event);
  };
  const buildCheck = ports.reporter.check('s2i/build');
  let deployCheck: CheckReporter | undefined;
  try {
    const push = job.image ?? (await reuse(job, ports, buildCheck)) ?? (await build(job, ports, buildCheck, emit));
    if (!push) return { ok: false, timings: timer.stop() };
    if (!job.environment) return { ok: true, push, timings: timer.stop() };
    deployCheck = ports.reporter.check('s2i/deploy');
    if (ports.signal?.aborted) {
      await deployCheck.complete('cancelled', { title: 'Deploy cancelled', summary: cancelReason(ports.signal) });
      return { ok: false, push, timings: timer.stop() };
    }
    const deployed = await deploy(job, job.environment, push, ports, deployCheck, emit);
    return { ok: deployed !== undefined && !deployed.heldBack && !deployed.overtakenBy, push, ...deployed, timings: timer.stop() };
  } catch (error) {
    // Only a bug gets here: every expected failure is reported by its step.
    const output = failureOutput(describeFailure(error, 'internal'));
    for (const check of [buildCheck, deployCheck]) {
      if (check?.started && !check.completed) await check.complete('failure', output).catch(() => undefined);
    }
    throw error;
  }
}

function buildTarget(job: PipelineJob): BuildTarget {
  return { builder: job.config.builder, reference: `${job.config.image}:${job.commit.sha}`, environment: job.environment };
}

/**
 * The image this commit was already built and pushed as, if the registry has it: a commit that reaches a second
 * branch or environment is deployed as the same image, not rebuilt. Any doubt (registry unreachable, no answer)
 * means build.
 */
async function reuse(job: PipelineJob, ports: PipelinePorts, check: CheckReporter): Promise<PushResult | undefined> {
  if (job.rebuild) return undefined;
  const { registry } = parseImageReference(job.config.image);
  const auth = await registryAuth(registry, ports.env).catch(() => undefined);
  const digest = await ports.engine.registryDigest(`${job.config.image}:${job.commit.sha}`, auth).catch(() => undefined);
  if (!digest) return undefined;
  const push: PushResult = { registry, reference: `${job.config.image}:${job.commit.sha}`, digest, pinned: `${job.config.image}@${digest}` };
  await check.complete('success', alreadyBuilt(buildTarget(job), push), { actions: job.buildActions });
  return push;
}

async function build(job: PipelineJob, ports: PipelinePorts, check: CheckReporter, emit: (event: PipelineEvent) => void): Promise<PushResult | undefined> {
  const target = buildTarget(job);
  await check.progress(buildInProgress(target));
  const tail = new LogTail();
  try {
    const previousImage = job.config.incremental && !job.noCache ? await deployedImage(job, ports) : undefined;
    const built = await buildImage(ports.engine, ports.settings, {
      builder: job.config.builder,
      repository: job.config.image,
      tag: job.commit.sha,
      source: ports.openSource,
      stripComponents: ports.stripComponents,
      contextDir: job.config.contextDir,
      env: job.config.env,
      commit: job.commit,
      sourceLocation: job.sourceUrl,
      pullAuth: (registry) => registryAuth(registry, ports.env),
      redact: ports.redact,
      incremental: job.config.incremental && !job.noCache,
      ...(previousImage ? { previousImage } : {}),
      ...(job.config.runtimeImage ? { runtimeImage: job.config.runtimeImage } : {}),
      ...(job.config.runtimeArtifacts ? { runtimeArtifacts: job.config.runtimeArtifacts } : {}),
      signal: ports.signal,
      onEvent: (event) => {
        emit(event);
        if (event.kind === 'log') {
          tail.add(event.line);
          // A refresh that cannot be shown must not end the build; the reporter reports its own failures.
          check.progress(buildInProgress(target, tail.toArray())).catch(() => undefined);
        }
      },
    });
    // A run cancelled while the commit was being made stops before it pushes.
    ports.signal?.throwIfAborted();
    emit({ kind: 'phase', phase: 'push', message: `Pushing ${target.reference}` });
    const push = await pushImage(ports.engine, job.config.image, job.commit.sha, ports.env);
    await check.complete(
      'success',
      buildSucceeded(target, { pinned: push.pinned, digest: push.digest, sizeBytes: built.sizeBytes, durationMs: built.durationMs, incremental: built.incremental }),
      { actions: job.buildActions },
    );
    return push;
  } catch (error) {
    if (ports.signal?.aborted) {
      await check.complete('cancelled', buildCancelled(cancelReason(ports.signal)));
      return undefined;
    }
    await check.complete('failure', failureOutput(describeFailure(error, 'build')), { actions: job.buildActions });
    return undefined;
  }
}

/**
 * The previous image of an incremental build: the one the environment runs now, as its Deployment in the config
 * repo pins it (the last successful deploy of this branch's environment). Without one, the engine falls back to
 * `<image>:<sha>` and, failing that, builds clean with a note in the log.
 */
async function deployedImage(job: PipelineJob, ports: PipelinePorts): Promise<string | undefined> {
  if (!job.environment) return undefined;
  try {
    const path = renderGitopsPath(job.config, job.environment);
    const manifest = await ports.configRepo(job.config.gitops).readFile(`${path}/${DEPLOYMENT_FILE}`);
    const image = manifest === undefined ? undefined : imageOfDeployment(manifest, job.config.deploy.name);
    // Only an image of the app's own repository: save-artifacts runs in it and its output enters this build, and a
    // hand-edited config repo could name any image.
    return image !== undefined && [`${job.config.image}@`, `${job.config.image}:`].some((prefix) => image.startsWith(prefix)) ? image : undefined;
  } catch {
    return undefined;
  }
}

async function deploy(
  job: PipelineJob,
  environment: string,
  push: PushResult,
  ports: PipelinePorts,
  check: CheckReporter,
  emit: (event: PipelineEvent) => void,
): Promise<Pick<PipelineResult, 'deploy' | 'files' | 'heldBack' | 'overtakenBy'> | undefined> {
  const { config } = job;
  const configRepo = ports.configRepo(config.gitops);
  let record: DeploymentRecord | undefined;
  let target: DeployTarget = { environment, configRepo: configRepo.description, path: '', image: push.pinned };
  try {
    const path = renderGitopsPath(config, environment);
    target = { ...target, path };
    const pinPath = `${path}/${PIN_FILE}`;
    // No in-progress check: the GitHub Deployment shows the deploy running, and every call counts (≤ 12 a deploy).
    if (ports.deployments && !ports.dryRun) {
      record = await ports.deployments.start({ environment, sha: job.commit.sha, image: push.pinned, rollback: job.pin !== undefined, description: deployDescription(job, environment) });
    }
    emit({ kind: 'phase', phase: 'render', message: `Rendering manifests for ${environment} into ${path}` });
    const rendered = renderManifests(
      renderInputFor(config, { environment, path, image: push.pinned, repo: job.repo, sha: job.commit.sha, sourceLocation: job.sourceUrl }),
      { allowedKinds: ports.allowedKinds },
    );
    const changes = job.pin ? [...rendered.files, { path: pinPath, content: renderPin(job.pin) }] : rendered.files;
    const files = changes.map((file) => file.path);

    emit({ kind: 'phase', phase: 'gitops', message: `Writing ${files.length} files to ${configRepo.description}` });
    const outcome = await configRepo.write({ files: changes, message: commitMessage(job, environment), environment, sourceRepo: job.repo }, async (read) => {
      await enforcePolicy(read, { repo: job.repo, files, namespaces: [config.deploy.namespace], manifests: rendered.files, allowedKinds: ports.allowedKinds });
      const newer = ports.deployedNewer?.();
      if (newer) throw new OvertakenError(newer);
      if (!job.pin) {
        const pin = await read(pinPath);
        if (pin !== undefined) throw new PinnedError(parsePin(pin));
      }
    });
    const links = outcome.status === 'committed' || outcome.status === 'pull-request' ? { detailsUrl: outcome.url } : {};
    await check.complete(outcome.status === 'dry-run' ? 'neutral' : 'success', deploySucceeded(target, outcome, files), links);
    await record?.succeed(links.detailsUrl, outcome.status === 'unchanged' ? `${environment} already runs this image` : `Deployed to ${environment}`);
    return { deploy: outcome, files };
  } catch (error) {
    if (error instanceof OvertakenError) {
      await record?.fail(`Not deployed: ${environment} already runs the newer commit ${error.newer}`);
      await check.complete('cancelled', deployOvertaken(target, error.newer));
      return { overtakenBy: error.newer };
    }
    if (error instanceof PinnedError) {
      await record?.fail(`Held back: ${environment} is ${describePin(error.pin)}`);
      return heldBack(check, target, error.pin);
    }
    await check.complete('failure', failureOutput(describeFailure(error, 'deploy')));
    await record?.fail(`Deploy to ${environment} failed: see the s2i/deploy check`);
    return undefined;
  }
}

/** A pin in the environment's directory: nothing is written, and `s2i/deploy` says why and how to release it. */
async function heldBack(check: CheckReporter, target: DeployTarget, pin: Partial<Pin>): Promise<Pick<PipelineResult, 'heldBack'>> {
  await check.complete('neutral', deployHeldBack(target, pin));
  return { heldBack: pin };
}

/** A newer commit of the same environment deployed first: this one must not move it back. */
class OvertakenError extends Error {
  constructor(readonly newer: string) {
    super(`a newer commit (${newer}) is already deployed`);
  }
}

/** The text of why a run was stopped. */
function cancelReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  // `abort()` without a reason (Ctrl-C in the CLI) gives a DOMException that says nothing to the user.
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return typeof reason === 'string' ? reason : 'The build was cancelled.';
}

/** The environment is pinned, as read at the head the commit would be built on. */
class PinnedError extends Error {
  constructor(readonly pin: Partial<Pin>) {
    super(`the environment is ${describePin(pin)}`);
  }
}

function deployDescription(job: PipelineJob, environment: string): string {
  return `${job.pin ? 'Rollback' : 'Deploy'} of ${job.commit.sha.slice(0, 7)} to ${environment}`;
}

/** `deploy(<environment>): <owner>/<repo>@<sha7> <first line of the source commit message>`. */
export function commitMessage(job: Pick<PipelineJob, 'repo' | 'commit'>, environment: string): string {
  const subject = (job.commit.message ?? '').split('\n')[0].trim();
  return `deploy(${environment}): ${job.repo}@${job.commit.sha.slice(0, 7)}${subject ? ` ${subject}` : ''}`;
}

/** Measures how long each phase took, from one phase event to the next. */
class PhaseTimer {
  private readonly timings: Partial<Record<PipelinePhase, number>> = {};
  private current: { phase: PipelinePhase; since: number } | undefined;

  enter(phase: PipelinePhase): void {
    this.stop();
    this.current = { phase, since: performance.now() };
  }

  stop(): Partial<Record<PipelinePhase, number>> {
    if (this.current) this.timings[this.current.phase] = (this.timings[this.current.phase] ?? 0) + performance.now() - this.current.since;
    this.current = undefined;
    return this.timings;
  }
}
