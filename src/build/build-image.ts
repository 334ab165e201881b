import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ContainerEngine, ImageInfo, RegistryAuth } from '../docker/container-engine.js';
import type { BuildSettings } from '../settings/build-settings.js';
import { formatBytes, prepareSource, SourceError, type PreparedSource, type ScriptName } from '../source/prepare-source.js';
import { chownTar } from '../source/chown-tar.js';
import { parsePullReference } from '../registry/image-reference.js';
import { BuildError, toBuildError, type BuildStep } from './build-error.js';
import { LABELS, readBuilderContract, type BuilderContract } from './builder-image.js';
import { resolveContainerUser, type NumericUser } from './container-user.js';
import { outputImageLabels, type SourceCommit } from './image-labels.js';
import { LineSplitter, LogTail } from './log-lines.js';

/**
 * Name prefix of every build container, so leftovers of a dead process can be found and removed.
 * Not a label: a commit copies the container's labels into the image, and so into every container run from it.
 */
export const BUILD_CONTAINER_PREFIX = 's2i-bot-build-';

/** Where the operator's CA bundle appears inside build containers (never committed into the image). */
export const CA_BUNDLE_TARGET = '/run/s2i-bot/ca-certificates.crt';
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'PIP_CERT', 'GIT_SSL_CAINFO', 'CURL_CA_BUNDLE'];

/** The entrypoint s2i uses for build containers: it runs any command and ignores the builder's ENTRYPOINT. */
const BUILD_ENTRYPOINT = ['/usr/bin/env'];

export type BuildPhase = 'builder' | 'source' | 'assemble' | 'commit';

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
}

export interface BuildResult {
  imageId: string;
  /** `repository:tag`. */
  reference: string;
  sizeBytes: number;
  durationMs: number;
  labels: Record<string, string>;
  /** Where each script came from. */
  scripts: Record<'assemble' | 'run', 'source' | 'image'>;
  /** Source entries left out because they were unsafe. */
  droppedEntries: number;
}

/**
 * Builds an image from source with an S2I builder image, following the openshift/source-to-image contract:
 * the source lands at `<destination>/src`, `assemble` runs as the assemble user, and the container is
 * committed with `run` as its command. The build container is always removed.
 */
export async function buildImage(
  engine: ContainerEngine,
  settings: BuildSettings,
  request: BuildRequest,
): Promise<BuildResult> {
  let step: BuildStep = 'builder';
  const emit = (event: BuildEvent) => {
    if (event.kind === 'phase') step = event.phase;
    request.onEvent?.(event);
  };
  try {
    return await runBuild(engine, settings, request, emit);
  } catch (error) {
    throw toBuildError(error, step);
  }
}

async function runBuild(
  engine: ContainerEngine,
  settings: BuildSettings,
  request: BuildRequest,
  emit: (event: BuildEvent) => void,
): Promise<BuildResult> {
  const started = Date.now();
  const contextDir = request.contextDir ?? '';

  emit({ kind: 'phase', phase: 'builder', message: `Using builder ${request.builder}` });
  const builder = await loadBuilder(engine, request.builder, request.pullAuth);
  const contract = readBuilderContract(request.builder, builder);

  emit({ kind: 'phase', phase: 'source', message: contextDir ? `Preparing source (contextDir ${contextDir})` : 'Preparing source' });
  const source = await prepare(request, settings, contextDir);
  let containerId: string | undefined;
  try {
    for (const entry of source.dropped) emit({ kind: 'log', stream: 'stderr', line: `warning: left out ${entry.path}: ${entry.reason}` });
    if (source.environmentProblems.length > 0) {
      throw new BuildError({
        step: 'source',
        reason: `.s2i/environment line ${source.environmentProblems[0].line}: ${source.environmentProblems[0].message}`,
        hint: 'write one KEY=VALUE per line in .s2i/environment; lines starting with # are comments',
      });
    }
    const assemble = scriptPath('assemble', source, contract, request.builder);
    const run = scriptPath('run', source, contract, request.builder);
    const buildEnv = { ...source.environment, ...(request.env ?? {}) };
    const envList = Object.entries(buildEnv).map(([key, value]) => `${key}=${value}`);
    const caPrefix = settings.caBundle ? CA_VARIABLES.map((name) => `${name}=${CA_BUNDLE_TARGET}`) : [];

    containerId = await engine.createContainer({
      name: `${BUILD_CONTAINER_PREFIX}${request.tag.slice(0, 64)}-${randomBytes(4).toString('hex')}`,
      image: builder.id,
      entrypoint: BUILD_ENTRYPOINT,
      // CA variables go on the command line of env(1), not in the container config, so the commit never keeps them.
      cmd: [...caPrefix, assemble.path],
      user: contract.assembleUser,
      env: envList,
      limits: {
        memoryBytes: settings.memoryBytes,
        nanoCpus: Math.round(settings.cpus * 1e9),
        pidsLimit: settings.pidsLimit,
        network: settings.network,
      },
      readOnlyMounts: settings.caBundle ? [{ source: settings.caBundle, target: CA_BUNDLE_TARGET }] : [],
    });
    const owner = await verifyBuilder(engine, containerId, builder.id, request.builder, contract, [assemble, run]);
    await engine.putArchive(containerId, contract.destination, chownTar(createReadStream(source.tarPath), owner));

    emit({
      kind: 'phase',
      phase: 'assemble',
      message: `Running assemble (${assemble.from === 'source' ? '.s2i/bin/assemble' : assemble.path}) as ${contract.assembleUser || 'root'}`,
    });
    const tail = new LogTail();
    const splitters = {
      stdout: new LineSplitter((line) => (tail.add(line), emit({ kind: 'log', stream: 'stdout', line }))),
      stderr: new LineSplitter((line) => (tail.add(line), emit({ kind: 'log', stream: 'stderr', line }))),
    };
    throwIfCancelled(request.signal);
    const result = await engine.run(containerId, (chunk, stream) => splitters[stream].push(chunk), settings.timeoutSeconds * 1000, request.signal);
    splitters.stdout.flush();
    splitters.stderr.flush();
    if (result.cancelled) throwIfCancelled(request.signal, tail.toArray());
    if (result.timedOut) {
      throw new BuildError({
        step: 'assemble',
        reason: `assemble did not finish within ${settings.timeoutSeconds}s and was stopped`,
        hint: 'make the build faster, or ask the operator to raise S2I_BUILD_TIMEOUT',
        logTail: tail.toArray(),
      });
    }
    if (result.exitCode !== 0) {
      throw new BuildError({
        step: 'assemble',
        reason: `assemble exited with code ${result.exitCode}${result.exitCode === 137 ? ' (killed: out of memory?)' : ''}`,
        hint:
          result.exitCode === 137
            ? `the build may have run out of its ${formatBytes(settings.memoryBytes)} memory limit; ask the operator to raise S2I_BUILD_MEMORY`
            : 'read the log tail above, fix the source or the build environment, and push again',
        exitCode: result.exitCode,
        logTail: tail.toArray(),
      });
    }

    throwIfCancelled(request.signal);
    emit({ kind: 'phase', phase: 'commit', message: `Committing ${request.repository}:${request.tag}` });
    const labels = {
      ...builder.labels,
      ...outputImageLabels({ builder: request.builder, sourceLocation: request.sourceLocation, contextDir, commit: request.commit }),
    };
    const imageId = await engine
      .commit(containerId, {
        repository: request.repository,
        tag: request.tag,
        cmd: [run.path],
        entrypoint: builder.entrypoint,
        user: contract.runUser,
        env: mergeEnv(builder.env, envList),
        labels,
        workingDir: builder.workingDir,
      })
      .catch((cause: unknown) => {
        throw new BuildError({ step: 'commit', reason: `the container could not be committed: ${(cause as Error).message}`, hint: 'check the Docker engine\'s disk space and logs', cause });
      });
    const image = await engine.inspectImage(imageId);
    return {
      imageId,
      reference: `${request.repository}:${request.tag}`,
      sizeBytes: image?.sizeBytes ?? 0,
      durationMs: Date.now() - started,
      labels,
      scripts: { assemble: assemble.from, run: run.from },
      droppedEntries: source.dropped.length,
    };
  } finally {
    if (containerId) await engine.removeContainer(containerId).catch(() => undefined);
    await source.dispose();
  }
}

function throwIfCancelled(signal: AbortSignal | undefined, logTail: string[] = []): void {
  if (!signal?.aborted) return;
  throw new BuildError({ step: 'assemble', reason: 'the build was cancelled', hint: 'start the build again when it is wanted', logTail });
}

async function loadBuilder(
  engine: ContainerEngine,
  reference: string,
  pullAuth: BuildRequest['pullAuth'],
): Promise<ImageInfo> {
  let pull: { registry: string; reference: string };
  try {
    pull = parsePullReference(reference);
  } catch (cause) {
    throw new BuildError({ step: 'builder', reason: (cause as Error).message, hint: 'fix the builder image name', cause });
  }
  const local = await engine.inspectImage(reference);
  if (local) return local;
  try {
    await engine.pullImage(pull.reference, await pullAuth?.(pull.registry));
  } catch (cause) {
    throw new BuildError({
      step: 'builder',
      reason: `builder image ${reference} is not on the Docker engine and could not be pulled: ${(cause as Error).message}`,
      hint: 'check the builder name in the configuration, and that the engine can reach its registry with the credentials in DOCKER_CONFIG',
      cause,
    });
  }
  const pulled = await engine.inspectImage(reference);
  if (!pulled) {
    throw new BuildError({ step: 'builder', reason: `builder image ${reference} is missing after a pull`, hint: 'retry the build' });
  }
  return pulled;
}

async function prepare(request: BuildRequest, settings: BuildSettings, contextDir: string): Promise<PreparedSource> {
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

interface ResolvedScript {
  name: ScriptName;
  path: string;
  from: 'source' | 'image';
}

function scriptPath(name: 'assemble' | 'run', source: PreparedSource, contract: BuilderContract, builder: string): ResolvedScript {
  if (source.scripts.includes(name)) return { name, path: `${contract.destination}/scripts/${name}`, from: 'source' };
  if (contract.imageScriptsDir !== undefined) return { name, path: `${contract.imageScriptsDir}/${name}`.replace(/^\/\//, '/'), from: 'image' };
  throw new BuildError({
    step: 'builder',
    reason: `builder image ${builder} has no ${LABELS.scriptsUrl} label and the source has no .s2i/bin/${name}`,
    hint: `use an S2I builder image (one with the ${LABELS.scriptsUrl} label) or add .s2i/bin/${name} to the source`,
  });
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
        reason: `builder image ${builder} has no ${script.name} script at ${script.path} (from its ${LABELS.scriptsUrl} label)`,
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
