import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { CommitSpec, ContainerEngine, ImageInfo, RegistryAuth } from '../docker/container-engine.js';
import { chownTar } from '../source/chown-tar.js';
import { formatBytes, prepareSource, SourceError, type PreparedSource } from '../source/prepare-source.js';
import { assembleCommand, checkStdinRequirements, injectSource, sourceArchive, spoolDirOf } from '../source/inject-source.js';
import { parsePullReference } from '../registry/image-reference.js';
import { checkImageAllowed } from '../security/check-image-allowed.js';
import { BuildError, toBuildError, type BuildStep } from './build-error.js';
import { LABELS, readBuilderContract, type BuilderContract } from './builder-image.js';
import { checkAssembleUser, resolveContainerUser, type NumericUser } from './container-user.js';
import { OPERATOR_SCRIPTS_SETTING, resolveScripts, type ResolvedScript, type ScriptOrigin } from './script-source.js';
import { outputImageLabels, type SourceCommit } from './image-labels.js';
import { CACHE_IMAGE_LABEL, cacheTag, restoreArtifacts, type NoArtifacts, type SavedArtifacts } from './incremental-artifacts.js';
import { runScript, throwIfCancelled } from './run-script.js';
import { prepareRuntime, type RuntimeArtifact, type RuntimeStage } from './runtime-image.js';
import { buildContainerName, redactorFor, scriptContainerSpec, type BuildEngineSettings } from './script-container.js';

export { BUILD_CONTAINER_PREFIX, CA_BUNDLE_TARGET, type BuildEngineSettings } from './script-container.js';
export type { RuntimeArtifact } from './runtime-image.js';

/**
 * Phases of a build in the order they run: `artifacts` (restoring the previous build's artifacts) only when
 * incremental, `runtime` (artifacts into the runtime image, `assemble-runtime`) only with a runtime image.
 */
export type BuildPhase = 'builder' | 'source' | 'artifacts' | 'assemble' | 'runtime' | 'commit';

/** The step a failure is reported under, for each phase. */
const PHASE_STEP: Record<BuildPhase, BuildStep> = {
  builder: 'builder',
  source: 'source',
  artifacts: 'source',
  assemble: 'assemble',
  runtime: 'assemble',
  commit: 'commit',
};

/** Progress of a build: a phase starting, or a line of script output. */
export type BuildEvent =
  | { kind: 'phase'; phase: BuildPhase; message: string }
  | { kind: 'log'; line: string; stream: 'stdout' | 'stderr' };

export interface BuildRequest {
  /** Builder image reference. */
  builder: string;
  /** Output repository, without tag. */
  repository: string;
  tag: string;
  /**
   * Opens the source as a tar stream (a directory packed by `packDirectory`, or a GitHub tarball). Called once,
   * after the builder is resolved, so nothing is read or downloaded for a build that cannot run.
   */
  source: () => Readable;
  /** Leading path components to drop from source entries (1 for GitHub tarballs). */
  stripComponents?: number;
  contextDir?: string;
  /** Build environment; also stays in the image. Overrides `.s2i/environment`. */
  env?: Record<string, string>;
  commit?: SourceCommit;
  sourceLocation?: string;
  /** Credentials for pulling the builder from `registry` when it is not on the engine (undefined: anonymous). */
  pullAuth?: (registry: string) => Promise<RegistryAuth | undefined>;
  onEvent?: (event: BuildEvent) => void;
  /** Cancels the build: a running assemble is killed, and the container removed as always. */
  signal?: AbortSignal;
  /**
   * Restore the previous build's artifacts (its `save-artifacts` output) into `<destination>/artifacts` before
   * assemble. Whatever prevents it (no previous image, no save-artifacts, a failing one) is a note in the log and a
   * clean build, never a failure.
   */
  incremental?: boolean;
  /**
   * The image to restore from, pinned or tagged (default `repository:tag`, as s2i does); pulled with `pullAuth`
   * when not on the engine. An image shipped from a runtime image leads to its builder-side cache image.
   */
  previousImage?: string;
  /**
   * Ship this image instead of the builder: the artifacts are copied into it after assemble, its
   * `assemble-runtime` runs, and it is committed with its `run` as the command (s2i's `--runtime-image`).
   */
  runtimeImage?: string;
  /**
   * What to copy into the runtime image (s2i's `--runtime-artifact`); default: its
   * `io.openshift.s2i.assemble-input-files` label.
   */
  runtimeArtifacts?: RuntimeArtifact[];
  /**
   * Hides secrets the caller knows of (registry credentials, secret-looking `env` values) in every log line and
   * error, before anything keeps or cuts them; the proxy's credentials are always hidden.
   */
  redact?: (text: string) => string;
}

export interface BuildResult {
  imageId: string;
  /** `repository:tag`. */
  reference: string;
  sizeBytes: number;
  durationMs: number;
  labels: Record<string, string>;
  /** Where each script came from (`run` and `assemble-runtime` of a runtime image: the source or that image). */
  scripts: Record<'assemble' | 'run', ScriptOrigin> & Partial<Record<'save-artifacts' | 'assemble-runtime', ScriptOrigin>>;
  /** Source entries left out because they were unsafe. */
  droppedEntries: number;
  /** Whether artifacts of a previous build were restored before assemble. */
  incremental: boolean;
  /** The image the artifacts were restored from (the previous image or its builder-side cache image). */
  restoredFrom?: string;
  /**
   * With a runtime image and `incremental`: the builder-side image kept on the engine for the next incremental
   * build, `<repository>:<tag>-s2i-cache`. Never pushed by the build; remove it like any local image.
   */
  cacheImage?: string;
}

/**
 * Builds an image from source with an S2I builder image, following the openshift/source-to-image contract:
 * the source lands at `<destination>/src`, `assemble` runs as the assemble user, and the container is
 * committed with `run` as its command. The build container is always removed.
 */
export async function buildImage(
  engine: ContainerEngine,
  settings: BuildEngineSettings,
  request: BuildRequest,
): Promise<BuildResult> {
  let step: BuildStep = 'builder';
  const redact = redactorOf(settings, request);
  const emit = (event: BuildEvent) => {
    if (event.kind === 'phase') step = PHASE_STEP[event.phase];
    request.onEvent?.(event.kind === 'log' ? { ...event, line: redact(event.line) } : event);
  };
  try {
    return await runBuild(engine, settings, request, emit);
  } catch (error) {
    throw redactBuildError(toBuildError(error, step), redact);
  }
}

async function runBuild(
  engine: ContainerEngine,
  settings: BuildEngineSettings,
  request: BuildRequest,
  emit: (event: BuildEvent) => void,
): Promise<BuildResult> {
  const started = Date.now();
  const contextDir = request.contextDir ?? '';
  const redact = redactorOf(settings, request);
  const onLine = (line: string, stream: 'stdout' | 'stderr') => emit({ kind: 'log', stream, line });

  emit({ kind: 'phase', phase: 'builder', message: `Using builder ${request.builder}${request.runtimeImage ? ` and runtime image ${request.runtimeImage}` : ''}` });
  // The operator's allowlist is checked before anything is pulled or run.
  checkImageAllowed(request.builder, 'builder', settings.allowedBuilders);
  if (request.runtimeImage) checkImageAllowed(request.runtimeImage, 'runtime', settings.allowedBuilders);
  const builder = await loadImage(engine, request.builder, request.pullAuth, 'builder');
  const contract = readBuilderContract(request.builder, builder);
  const runtimeImage = request.runtimeImage ? await loadImage(engine, request.runtimeImage, request.pullAuth, 'runtime') : undefined;
  checkAssembleUser(request.builder, contract, settings.allowedUids);

  emit({ kind: 'phase', phase: 'source', message: contextDir ? `Preparing source (contextDir ${contextDir})` : 'Preparing source' });
  const source = await prepare(request, settings, contextDir);
  let containerId: string | undefined;
  let runtime: Promise<RuntimeStage> | undefined;
  let restoring: Promise<SavedArtifacts | NoArtifacts> | undefined;
  // Stops a save-artifacts still running when the build fails or is cancelled.
  const stopRestoring = new AbortController();
  const cancel = () => stopRestoring.abort();
  request.signal?.addEventListener('abort', cancel, { once: true });
  try {
    for (const entry of source.dropped) emit({ kind: 'log', stream: 'stderr', line: `warning: left out ${entry.path}: ${entry.reason}` });
    if (source.environmentProblems.length > 0) {
      throw new BuildError({
        step: 'source',
        reason: `.s2i/environment line ${source.environmentProblems[0].line}: ${source.environmentProblems[0].message}`,
        hint: 'write one KEY=VALUE per line in .s2i/environment; lines starting with # are comments',
      });
    }
    // S2I_SCRIPTS_URL, then .s2i/bin, then the builder's scripts URL, script by script (see script-source.ts).
    const scripts = await resolveScripts({
      builder: request.builder,
      destination: contract.destination,
      operator: settings.scriptsUrl,
      image: contract.scripts,
      source: source.scriptFiles,
      runOptional: request.runtimeImage !== undefined,
      fetch: { scriptsDir: settings.scriptsDir, signal: request.signal },
    });
    const { assemble } = scripts;
    // Found unless a runtime image was asked for, whose own `run` is used then.
    const run = scripts.run as ResolvedScript;
    const buildEnv = { ...source.environment, ...(request.env ?? {}) };
    const envList = Object.entries(buildEnv).map(([key, value]) => `${key}=${value}`);

    // The runtime container and the previous build's save-artifacts are set up while the build container is.
    if (runtimeImage && request.runtimeImage) {
      runtime = prepareRuntime(engine, {
        reference: request.runtimeImage,
        image: runtimeImage,
        artifacts: request.runtimeArtifacts,
        sourceScripts: source.scriptFiles,
        env: envList,
        containerName: buildContainerName(request.tag),
        settings,
      });
      runtime.catch(() => undefined);
    }
    if (request.incremental) {
      const previousImage = request.previousImage || `${request.repository}:${request.tag}`;
      emit({ kind: 'phase', phase: 'artifacts', message: `Restoring build artifacts from ${previousImage}` });
      // A save-artifacts from the source or a scripts URL is placed into the previous image's container; with an
      // image:// location, the previous image's own scripts-url is used, unless the operator's override named one.
      const saveArtifacts = scripts.optional['save-artifacts'];
      const content = saveArtifacts && (source.scriptFiles.get('save-artifacts') ?? scripts.downloaded.get('save-artifacts'));
      const operatorPath = saveArtifacts?.from === 'image' && saveArtifacts.declaredBy === OPERATOR_SCRIPTS_SETTING ? saveArtifacts.path : undefined;
      restoring = restoreArtifacts(engine, {
        previousImage,
        pullAuth: request.pullAuth,
        script: saveArtifacts && saveArtifacts.from !== 'image' && content ? { content, label: saveArtifacts.label, from: saveArtifacts.from } : undefined,
        ...(operatorPath ? { scriptPath: operatorPath } : {}),
        containerName: buildContainerName(request.tag),
        settings,
        onLine,
        redact,
        signal: stopRestoring.signal,
      });
      restoring.catch(() => undefined);
    }

    containerId = await engine.createContainer(
      scriptContainerSpec(settings, {
        name: buildContainerName(request.tag),
        image: builder.id,
        command: assembleCommand(settings.sourceInjection, contract.destination, assemble.path),
        user: contract.assembleUser,
        env: envList,
      }),
    );
    // With a runtime image, `run` is the runtime image's: the builder need not have one.
    const owner = await verifyBuilder(engine, containerId, builder.id, request.builder, contract, runtimeImage ? [assemble] : [assemble, run]);
    checkAssembleUser(request.builder, contract, settings.allowedUids, owner.uid);
    if (settings.sourceInjection === 'stdin') await checkStdinRequirements(engine, containerId, builder.id, request.builder, [...builder.env, ...envList]);
    const context = sourceArchive(source, scripts.downloaded);
    await injectSource(engine, containerId, contract.destination, settings.sourceInjection, context, owner, spoolDirOf(source));
    const restored = restoring ? await placeArtifacts(engine, containerId, contract.destination, owner, await restoring, onLine) : undefined;
    const stage = await runtime;

    emit({
      kind: 'phase',
      phase: 'assemble',
      message: `Running assemble (${assemble.label}) as ${contract.assembleUser || 'root'}`,
    });
    await runScript(engine, containerId, { script: 'assemble', settings, onLine, redact, signal: request.signal });
    if (stage) {
      emit({
        kind: 'phase',
        phase: 'runtime',
        message: `Copying ${stage.artifacts.length} artifact${stage.artifacts.length === 1 ? '' : 's'} into runtime image ${stage.reference} and running assemble-runtime`,
      });
      await stage.complete(containerId, { onLine, redact, signal: request.signal });
    }

    throwIfCancelled(request.signal);
    emit({ kind: 'phase', phase: 'commit', message: `Committing ${request.repository}:${request.tag}` });
    const generated = outputImageLabels({ builder: request.builder, sourceLocation: request.sourceLocation, contextDir, commit: request.commit });
    const cacheImage =
      stage && request.incremental
        ? await keepCacheImage(engine, containerId, builder, { repository: request.repository, tag: request.tag, env: envList, labels: { ...builder.labels, ...generated } }, onLine)
        : undefined;
    const base = stage ? stage.image : builder;
    const labels = { ...base.labels, ...generated, ...(cacheImage ? { [CACHE_IMAGE_LABEL]: cacheImage } : {}) };
    const imageId = await commitImage(engine, stage ? stage.containerId : containerId, {
      repository: request.repository,
      tag: request.tag,
      cmd: [stage ? stage.runPath : run.path],
      entrypoint: base.entrypoint,
      user: stage ? stage.image.user : contract.runUser,
      env: mergeEnv(base.env, envList),
      labels,
      workingDir: base.workingDir,
    });
    const image = await engine.inspectImage(imageId);
    return {
      imageId,
      reference: `${request.repository}:${request.tag}`,
      sizeBytes: image?.sizeBytes ?? 0,
      durationMs: Date.now() - started,
      labels,
      scripts: {
        assemble: assemble.from,
        run: stage ? stage.scripts.run : run.from,
        ...(stage ? { 'assemble-runtime': stage.scripts['assemble-runtime'] } : {}),
        ...(restored ? { 'save-artifacts': restored.script } : {}),
      },
      droppedEntries: source.dropped.length,
      incremental: restored !== undefined,
      ...(restored ? { restoredFrom: restored.from } : {}),
      ...(cacheImage ? { cacheImage } : {}),
    };
  } finally {
    request.signal?.removeEventListener('abort', cancel);
    stopRestoring.abort();
    if (containerId) await engine.removeContainer(containerId).catch(() => undefined);
    await (await runtime?.catch(() => undefined))?.dispose();
    const saved = await restoring?.catch(() => undefined);
    if (saved?.restored) await saved.dispose();
    await source.dispose();
  }
}

/**
 * Places the previous build's artifacts at `<destination>/artifacts`, owned by the assemble user, and says in the
 * log what was restored or why the build is clean. Resolves to the restored artifacts, undefined for a clean build.
 */
async function placeArtifacts(
  engine: ContainerEngine,
  containerId: string,
  destination: string,
  owner: NumericUser,
  saved: SavedArtifacts | NoArtifacts,
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): Promise<SavedArtifacts | undefined> {
  if (!saved.restored) {
    onLine(`incremental: clean build: ${saved.reason}`, 'stdout');
    return undefined;
  }
  const target = `${destination}/artifacts`.replace(/^\/\//, '/');
  try {
    await engine.putArchive(containerId, destination, chownTar(createReadStream(saved.tarPath), owner));
  } catch (error) {
    onLine(`incremental: the artifacts of ${saved.from} could not be placed at ${target} (${(error as Error).message}); assemble runs without them`, 'stdout');
    return undefined;
  }
  onLine(`incremental: restored ${saved.files} file${saved.files === 1 ? '' : 's'} (${formatBytes(saved.bytes)}) from ${saved.from} into ${target}`, 'stdout');
  return saved;
}

/**
 * Commits the assembled builder container as `<repository>:<tag>-s2i-cache`, the builder side of a build
 * shipped from a runtime image, so the next incremental build can run the builder's save-artifacts in it.
 * A failure is a note: the image still ships, and the next build is clean.
 */
async function keepCacheImage(
  engine: ContainerEngine,
  containerId: string,
  builder: ImageInfo,
  output: { repository: string; tag: string; env: string[]; labels: Record<string, string> },
  onLine: (line: string, stream: 'stdout' | 'stderr') => void,
): Promise<string | undefined> {
  const tag = cacheTag(output.tag);
  try {
    await engine.commit(containerId, {
      repository: output.repository,
      tag,
      cmd: builder.cmd ?? [],
      entrypoint: builder.entrypoint,
      user: builder.user,
      env: mergeEnv(builder.env, output.env),
      labels: output.labels,
      workingDir: builder.workingDir,
    });
  } catch (error) {
    onLine(`incremental: the builder-side cache image could not be kept (${(error as Error).message}); the next build will be clean`, 'stdout');
    return undefined;
  }
  onLine(`incremental: kept the builder side as ${output.repository}:${tag} for the next incremental build (not pushed)`, 'stdout');
  return `${output.repository}:${tag}`;
}

async function commitImage(engine: ContainerEngine, containerId: string, spec: CommitSpec): Promise<string> {
  try {
    return await engine.commit(containerId, spec);
  } catch (cause) {
    throw new BuildError({ step: 'commit', reason: `the container could not be committed: ${(cause as Error).message}`, hint: "check the Docker engine's disk space and logs", cause });
  }
}

/** The proxy's credentials hidden, then whatever the caller's redaction hides. */
function redactorOf(settings: BuildEngineSettings, request: BuildRequest): (text: string) => string {
  const proxy = redactorFor(settings);
  const caller = request.redact;
  return caller ? (text) => caller(proxy(text)) : proxy;
}

/** A BuildError with operator secrets (proxy credentials) hidden; the same error when there were none. */
function redactBuildError(error: BuildError, redact: (text: string) => string): BuildError {
  const reason = redact(error.reason);
  const hint = redact(error.hint);
  const logTail = error.logTail.map(redact);
  if (reason === error.reason && hint === error.hint && logTail.every((line, index) => line === error.logTail[index])) return error;
  // The cause is dropped: its message may hold the secret in a form the redaction did not see.
  return new BuildError({ step: error.step, reason, hint, exitCode: error.exitCode, logTail });
}

async function loadImage(
  engine: ContainerEngine,
  reference: string,
  pullAuth: BuildRequest['pullAuth'],
  role: 'builder' | 'runtime',
): Promise<ImageInfo> {
  let pull: { registry: string; reference: string };
  try {
    pull = parsePullReference(reference);
  } catch (cause) {
    throw new BuildError({ step: 'builder', reason: (cause as Error).message, hint: `fix the ${role} image name`, cause });
  }
  const local = await engine.inspectImage(reference);
  if (local) return local;
  try {
    await engine.pullImage(pull.reference, await pullAuth?.(pull.registry));
  } catch (cause) {
    throw new BuildError({
      step: 'builder',
      reason: `${role} image ${reference} is not on the Docker engine and could not be pulled: ${(cause as Error).message}`,
      hint: `check the ${role} image name in the configuration, and that the engine can reach its registry with the credentials in DOCKER_CONFIG`,
      cause,
    });
  }
  const pulled = await engine.inspectImage(reference);
  if (!pulled) {
    throw new BuildError({ step: 'builder', reason: `${role} image ${reference} is missing after a pull`, hint: 'retry the build' });
  }
  return pulled;
}

async function prepare(request: BuildRequest, settings: BuildEngineSettings, contextDir: string): Promise<PreparedSource> {
  try {
    return await prepareSource(request.source(), {
      stripComponents: request.stripComponents ?? 0,
      contextDir,
      maxBytes: settings.maxSourceBytes,
    });
  } catch (cause) {
    if (cause instanceof SourceError) {
      throw new BuildError({ step: 'source', reason: cause.message, hint: cause.hint ?? 'fix the source or the build configuration and try again', cause });
    }
    throw cause;
  }
}

/**
 * Builder checks already passed, by image ID (content-addressed, so a hit means the same files): each look into
 * a container costs the engine a filesystem mount, so a builder is inspected once, not on every build.
 */
const verifiedBuilders = new Map<string, NumericUser>();
const VERIFIED_BUILDERS_LIMIT = 256;

/** Checks the builder's destination and scripts exist and resolves the assemble user to numbers. */
async function verifyBuilder(
  engine: ContainerEngine,
  containerId: string,
  imageId: string,
  builder: string,
  contract: BuilderContract,
  scripts: ResolvedScript[],
): Promise<NumericUser> {
  const key = JSON.stringify([imageId, contract.destination, contract.assembleUser, scripts.filter((script) => script.from === 'image').map((script) => script.path)]);
  const known = verifiedBuilders.get(key);
  if (known) return known;
  const [, owner] = await Promise.all([
    checkPaths(engine, containerId, builder, contract, scripts),
    resolveContainerUser(engine, containerId, builder, contract.assembleUser),
  ]);
  if (verifiedBuilders.size >= VERIFIED_BUILDERS_LIMIT) verifiedBuilders.delete(verifiedBuilders.keys().next().value as string);
  verifiedBuilders.set(key, owner);
  return owner;
}

async function checkPaths(
  engine: ContainerEngine,
  containerId: string,
  builder: string,
  contract: BuilderContract,
  scripts: ResolvedScript[],
): Promise<void> {
  const imageScripts = scripts.filter((script) => script.from === 'image');
  const [destinationExists, ...scriptsExist] = await Promise.all([
    engine.pathExists(containerId, contract.destination),
    ...imageScripts.map((script) => engine.pathExists(containerId, script.path)),
  ]);
  if (!destinationExists) {
    throw new BuildError({
      step: 'builder',
      reason: `builder image ${builder} has no directory ${contract.destination} (its ${LABELS.destination})`,
      hint: `create ${contract.destination} in the builder image or fix its ${LABELS.destination} label`,
    });
  }
  for (const [index, script] of imageScripts.entries()) {
    if (!scriptsExist[index]) {
      throw new BuildError({
        step: 'builder',
        reason: `builder image ${builder} has no ${script.name} script at ${script.path} (from ${script.declaredBy === 'S2I_SCRIPTS_URL' ? 'the operator setting S2I_SCRIPTS_URL' : `its ${script.declaredBy ?? LABELS.scriptsUrl}`})`,
        hint: `add ${script.path} to the builder image or provide .s2i/bin/${script.name} in the source`,
      });
    }
  }
}

/** The builder's environment with the build's variables laid over it (same key: the build wins). */
function mergeEnv(base: string[], overrides: string[]): string[] {
  const keyOf = (entry: string) => entry.split('=', 1)[0];
  const overridden = new Set(overrides.map(keyOf));
  return [...base.filter((entry) => !overridden.has(keyOf(entry))), ...overrides];
}
