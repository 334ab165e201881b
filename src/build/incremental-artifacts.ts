import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ContainerEngine, ImageInfo, RegistryAuth, RunResult } from '../docker/container-engine.js';
import { parsePullReference } from '../registry/image-reference.js';
import { formatBytes } from '../source/prepare-source.js';
import { ArtifactTarTooLargeError, artifactTar } from './artifact-tar.js';
import { BuildError } from './build-error.js';
import { readBuilderContract, type BuilderContract } from './builder-image.js';
import { LineSplitter } from './log-lines.js';
import { throwIfCancelled } from './run-script.js';
import { scriptContainerSpec, type BuildEngineSettings } from './script-container.js';
import { scriptsTar } from './scripts-tar.js';
import type { ScriptOrigin } from './script-source.js';

/**
 * Label of an image shipped from a runtime image, naming the builder-side image kept on the engine for the
 * next incremental build (`<repository>:<tag>-s2i-cache`): `save-artifacts` belongs to the builder, and the
 * runtime image does not carry it.
 */
export const CACHE_IMAGE_LABEL = 'io.s2i-bot.build.cache-image';

/** The tag of the builder-side cache image kept for `repository:tag` (tags are at most 128 characters). */
export function cacheTag(tag: string): string {
  return `${tag.slice(0, 128 - CACHE_SUFFIX.length)}${CACHE_SUFFIX}`;
}
const CACHE_SUFFIX = '-s2i-cache';

/** Artifacts larger than this are not restored (a runaway save-artifacts must not fill the bot's disk). */
export const MAX_ARTIFACT_BYTES = 8 * 1024 ** 3;

export interface RestoreArtifactsOptions {
  /** The image to take the artifacts from (pinned or tagged). */
  previousImage: string;
  pullAuth?: (registry: string) => Promise<RegistryAuth | undefined>;
  /**
   * A `save-artifacts` to run instead of the one the previous image's scripts-url names (the source's
   * `.s2i/bin/save-artifacts`, or one downloaded from a scripts URL); placed at
   * `<destination>/scripts/save-artifacts` of the previous image's container.
   */
  script?: { content: Buffer; label: string; from: ScriptOrigin };
  /** A path of save-artifacts inside the image that wins over its scripts-url label (the operator's `image://` override). */
  scriptPath?: string;
  /** Name of the container that runs save-artifacts. */
  containerName: string;
  settings: BuildEngineSettings;
  /** A note or a line of save-artifacts' stderr, for the build log. */
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  redact: (text: string) => string;
  signal?: AbortSignal;
  maxBytes?: number;
}

/** Artifacts of a previous build, spooled to disk as a tar of `artifacts/...`, ready for the new build container. */
export interface SavedArtifacts {
  restored: true;
  /** The image save-artifacts ran in (the previous image, or its builder-side cache image). */
  from: string;
  /** Tar with `artifacts/` and the save-artifacts output below it, owned by root until it is placed. */
  tarPath: string;
  files: number;
  bytes: number;
  /** Where the save-artifacts that ran came from. */
  script: ScriptOrigin;
  dispose(): Promise<void>;
}

/** Why a build is clean although it was asked to be incremental. */
export interface NoArtifacts {
  restored: false;
  reason: string;
}

/**
 * s2i's incremental step: runs `save-artifacts` in a container of the previous image (with the build's
 * isolation and limits, entrypoint `/usr/bin/env`, as the assemble user) and spools its stdout, a tar stream,
 * to a temporary file (never into memory) after checking it entry by entry. Every way this can fail (no previous
 * image, no script, a non-zero exit, output that is not a tar) resolves to `NoArtifacts` with the reason: a
 * clean build follows. Only cancellation rejects. The container is always removed.
 */
export async function restoreArtifacts(engine: ContainerEngine, options: RestoreArtifactsOptions): Promise<SavedArtifacts | NoArtifacts> {
  const skip = (reason: string): NoArtifacts => ({ restored: false, reason: options.redact(reason) });
  let image: { reference: string; info: ImageInfo };
  try {
    const located = await locatePrevious(engine, options);
    if (typeof located === 'string') return skip(located);
    image = located;
  } catch (error) {
    return skip(`the previous image ${options.previousImage} could not be inspected: ${(error as Error).message}`);
  }

  let contract: BuilderContract;
  try {
    contract = readBuilderContract(image.reference, image.info);
  } catch (error) {
    return skip(error instanceof BuildError ? error.reason : (error as Error).message);
  }
  const scriptPath = options.script
    ? `${contract.destination}/scripts/save-artifacts`.replace(/^\/\//, '/')
    : (options.scriptPath ?? (contract.imageScriptsDir && `${contract.imageScriptsDir}/save-artifacts`.replace(/^\/\//, '/')));
  if (!scriptPath) return skip(`the previous image ${image.reference} declares no image:// scripts-url and the source has no .s2i/bin/save-artifacts`);

  let containerId: string | undefined;
  let dir: string | undefined;
  try {
    containerId = await engine.createContainer(
      scriptContainerSpec(options.settings, {
        name: options.containerName,
        image: image.info.id,
        command: [scriptPath],
        user: contract.assembleUser,
        env: [],
        discardLogs: true,
      }),
    );
    if (options.script) {
      await engine.putArchive(containerId, contract.destination, scriptsTar(new Map([['save-artifacts', options.script.content]])));
    } else if (!(await engine.pathExists(containerId, scriptPath))) {
      return skip(`the previous image ${image.reference} has no save-artifacts script (looked for ${scriptPath})`);
    }

    options.onLine(`incremental: running save-artifacts (${options.script?.label ?? scriptPath}) in ${image.reference}`, 'stdout');
    dir = await mkdtemp(join(tmpdir(), 's2i-bot-artifacts-'));
    const tarPath = join(dir, 'artifacts.tar');
    const repack = artifactTar({ prefix: 'artifacts', owner: { uid: 0, gid: 0 }, modes: 'keep', maxBytes: options.maxBytes ?? MAX_ARTIFACT_BYTES });
    const spooled = Promise.all([repack.done, pipeline(repack.output, createWriteStream(tarPath))]);
    spooled.catch(() => undefined);
    const stderr = new LineSplitter((line) => options.onLine(options.redact(line), 'stderr'));
    let result: RunResult;
    try {
      throwIfCancelled(options.signal);
      result = await engine.runWithStdout(containerId, repack.input, (chunk) => stderr.push(chunk), options.settings.timeoutSeconds * 1000, options.signal);
    } catch (error) {
      repack.input.destroy();
      throw error;
    }
    stderr.flush();
    // The engine has ended (or cut off) the output, so the spool settles; wait for it before its file is removed.
    const spool = await spooled.then(([stats]) => ({ stats, error: undefined }), (error: Error) => ({ stats: undefined, error }));
    if (result.cancelled) throwIfCancelled(options.signal);
    if (result.timedOut) return skip(`save-artifacts did not finish within ${options.settings.timeoutSeconds}s and was stopped`);
    if (result.exitCode !== 0) return skip(`save-artifacts in ${image.reference} exited with code ${result.exitCode}`);
    if (spool.error instanceof ArtifactTarTooLargeError) return skip(`the artifacts of ${image.reference} are larger than ${formatBytes(spool.error.maxBytes)}`);
    if (!spool.stats) return skip(`the output of save-artifacts in ${image.reference} is not a tar archive (${spool.error?.message})`);
    const stats = spool.stats;
    if (stats.files === 0) return skip(`save-artifacts in ${image.reference} saved no files`);
    const kept = dir;
    dir = undefined;
    return {
      restored: true,
      from: image.reference,
      tarPath,
      files: stats.files,
      bytes: stats.bytes,
      script: options.script?.from ?? 'image',
      dispose: () => rm(kept, { recursive: true, force: true }),
    };
  } catch (error) {
    if (error instanceof BuildError && options.signal?.aborted) throw error;
    return skip(`save-artifacts could not be run in ${image.reference}: ${(error as Error).message}`);
  } finally {
    if (containerId) await engine.removeContainer(containerId).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The image to run save-artifacts in: the previous image, pulled when absent, or, when it was shipped from a
 * runtime image, the builder-side cache image its label names (kept on this engine only, never pulled).
 * A string is the reason there is none.
 */
async function locatePrevious(engine: ContainerEngine, options: RestoreArtifactsOptions): Promise<{ reference: string; info: ImageInfo } | string> {
  const reference = options.previousImage;
  let pull: { registry: string; reference: string };
  try {
    pull = parsePullReference(reference);
  } catch (error) {
    return `the previous image reference ${reference} is not valid: ${(error as Error).message}`;
  }
  let info = await engine.inspectImage(reference);
  if (!info) {
    try {
      await engine.pullImage(pull.reference, await options.pullAuth?.(pull.registry));
    } catch (error) {
      return `there is no previous image ${reference} on the engine and it could not be pulled (${(error as Error).message.split('\n')[0]})`;
    }
    info = await engine.inspectImage(reference);
    if (!info) return `the previous image ${reference} is missing after a pull`;
  }
  const cache = info.labels[CACHE_IMAGE_LABEL];
  if (!cache) return { reference, info };
  const cached = await engine.inspectImage(cache);
  if (!cached) return `the previous image ${reference} was shipped from a runtime image and its builder-side cache image ${cache} is not on this engine`;
  return { reference: cache, info: cached };
}
