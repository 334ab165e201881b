import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContainerEngine, ImageInfo } from '../docker/container-engine.js';
import { formatUidRanges, uidAllowed } from '../settings/build-settings.js';
import { formatBytes } from '../source/prepare-source.js';
import { artifactTar } from './artifact-tar.js';
import { BuildError } from './build-error.js';
import { LABELS, readBuilderContract } from './builder-image.js';
import { resolveContainerUser, type NumericUser } from './container-user.js';
import { runScript, type ScriptLogLine } from './run-script.js';
import { scriptContainerSpec, type BuildEngineSettings } from './script-container.js';
import { scriptsTar } from './scripts-tar.js';

/** Label of a runtime image listing the artifacts to copy into it when the build names none (`src[:dest];...`). */
export const ASSEMBLE_INPUT_FILES_LABEL = 'io.openshift.s2i.assemble-input-files';

/** One file or directory to copy from the builder container into the runtime image. */
export interface RuntimeArtifact {
  /** Absolute path in the builder container after assemble, e.g. `/opt/app-root/app.jar` or `/opt/app/dist/`. */
  source: string;
  /**
   * Directory relative to the runtime image's WORKDIR that receives it (`.` for WORKDIR itself): the artifact
   * keeps its name, so `/tmp/app.war` with `app` lands at `<WORKDIR>/app/app.war`.
   */
  destination: string;
}

/** A runtime artifact mapping that cannot be used; the message says which and why. */
export class RuntimeArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeArtifactError';
  }
}

/** Parses s2i's `--runtime-artifact` form, `<source>[:<destination>]` (destination `.` when left out). */
export function parseRuntimeArtifact(value: string): RuntimeArtifact {
  const parts = value.trim().split(':');
  if (parts.length > 2 || parts[0] === '') {
    throw new RuntimeArtifactError(`"${value}" is not a runtime artifact mapping; write it as /absolute/source[:relative/destination]`);
  }
  const artifact = { source: parts[0], destination: parts[1] === undefined || parts[1] === '' ? '.' : parts[1] };
  checkRuntimeArtifact(artifact);
  return artifact;
}

/** Parses the `io.openshift.s2i.assemble-input-files` label: mappings separated by `;`. */
export function parseAssembleInputFiles(value: string): RuntimeArtifact[] {
  return value
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean)
    .map(parseRuntimeArtifact);
}

/** Refuses what s2i refuses: a relative or wildcard source, an absolute destination or one that starts with `..`. */
export function checkRuntimeArtifact(artifact: RuntimeArtifact): void {
  const where = `runtime artifact "${artifact.source}" -> "${artifact.destination}"`;
  if (!posix.isAbsolute(artifact.source)) throw new RuntimeArtifactError(`${where}: the source must be an absolute path`);
  if (/[*?[]/.test(artifact.source)) throw new RuntimeArtifactError(`${where}: wildcards are not supported; name the file or its directory`);
  if (posix.normalize(artifact.source) === '/') throw new RuntimeArtifactError(`${where}: the source must not be the root directory`);
  if (posix.isAbsolute(artifact.destination)) throw new RuntimeArtifactError(`${where}: the destination must be a relative path`);
  const destination = posix.normalize(artifact.destination);
  if (artifact.destination.startsWith('..') || destination === '..' || destination.startsWith('../')) {
    throw new RuntimeArtifactError(`${where}: the destination cannot start with '..'`);
  }
}

export interface PrepareRuntimeOptions {
  /** The runtime image as the user named it. */
  reference: string;
  /** The runtime image, already on the engine. */
  image: ImageInfo;
  /** Artifacts named by the build; when none, the image's `io.openshift.s2i.assemble-input-files` label. */
  artifacts: RuntimeArtifact[] | undefined;
  /** `assemble-runtime` and `run` from the source's `.s2i/bin/`, which win over the runtime image's own. */
  sourceScripts: ReadonlyMap<string, Buffer>;
  /** Build environment (`.s2i/environment` and the build's variables): builder and runtime share it, as in s2i. */
  env: string[];
  containerName: string;
  settings: BuildEngineSettings;
}

/** A runtime container ready to receive the artifacts: created, its scripts checked or uploaded. */
export interface RuntimeStage {
  reference: string;
  image: ImageInfo;
  containerId: string;
  artifacts: RuntimeArtifact[];
  /** The runtime image's WORKDIR (`/` when it sets none), where artifacts and `.s2i/bin` scripts land. */
  workdir: string;
  /** The `run` command of the output image. */
  runPath: string;
  scripts: { 'assemble-runtime': 'source' | 'image'; run: 'source' | 'image' };
  /** Copies the artifacts out of the assembled builder container and runs `assemble-runtime`. */
  complete(builderContainerId: string, options: { onLine: ScriptLogLine; redact: (text: string) => string; signal?: AbortSignal }): Promise<void>;
  /** Removes the runtime container. */
  dispose(): Promise<void>;
}

/**
 * s2i's runtime-image flow, first half: resolves the artifacts and the `assemble-runtime`/`run` scripts (source
 * `.s2i/bin/` first, then the runtime image's `io.openshift.s2i.scripts-url`), creates the runtime container
 * (as the runtime image's USER, with the build's isolation and environment) and checks it, so that a wrong
 * mapping or a missing script fails before assemble runs. The container is removed when this fails.
 */
export async function prepareRuntime(engine: ContainerEngine, options: PrepareRuntimeOptions): Promise<RuntimeStage> {
  const { reference, image } = options;
  checkRuntimeUser(reference, image.user, options.settings);
  const artifacts = runtimeArtifacts(options);
  const workdir = normaliseDir(image.workingDir || '/');
  const imageScriptsDir = runtimeScriptsDir(reference, image);
  const script = (name: 'assemble-runtime' | 'run') => {
    if (options.sourceScripts.has(name)) return { path: joinPath(joinPath(workdir, 'scripts'), name), from: 'source' as const };
    if (imageScriptsDir !== undefined) return { path: joinPath(imageScriptsDir, name), from: 'image' as const };
    throw new BuildError({
      step: 'builder',
      reason: `runtime image ${reference} has no ${LABELS.scriptsUrl} label and the source has no .s2i/bin/${name}`,
      hint: `label the runtime image with ${LABELS.scriptsUrl}=image:///<dir with ${name}> or add .s2i/bin/${name} to the source`,
    });
  };
  const assembleRuntime = script('assemble-runtime');
  const run = script('run');

  const containerId = await engine.createContainer(
    scriptContainerSpec(options.settings, { name: options.containerName, image: image.id, command: [assembleRuntime.path], user: image.user, env: options.env }),
  );
  const dispose = () => engine.removeContainer(containerId).catch(() => undefined);
  let owner: NumericUser;
  try {
    const imageScripts = [
      { name: 'assemble-runtime', ...assembleRuntime },
      { name: 'run', ...run },
    ].filter((entry) => entry.from === 'image');
    const [resolved, ...present] = await Promise.all([
      resolveContainerUser(engine, containerId, reference, image.user),
      ...imageScripts.map((entry) => engine.pathExists(containerId, entry.path)),
    ]);
    owner = resolved;
    checkRuntimeUser(reference, image.user, options.settings, owner.uid);
    const missing = imageScripts.find((_, index) => !present[index]);
    if (missing) {
      throw new BuildError({
        step: 'builder',
        reason: `runtime image ${reference} has no ${missing.name} script at ${missing.path} (from its ${LABELS.scriptsUrl} label)`,
        hint: `add ${missing.path} to the runtime image or provide .s2i/bin/${missing.name} in the source`,
      });
    }
    const uploads = new Map([...options.sourceScripts].filter(([name]) => name === 'assemble-runtime' || name === 'run'));
    if (uploads.size > 0) await engine.putArchive(containerId, workdir, scriptsTar(uploads, owner));
  } catch (error) {
    await dispose();
    throw error;
  }

  return {
    reference,
    image,
    containerId,
    artifacts,
    workdir,
    runPath: run.path,
    scripts: { 'assemble-runtime': assembleRuntime.from, run: run.from },
    dispose,
    async complete(builderContainerId, logging) {
      await copyArtifacts(engine, { builderContainerId, runtimeContainerId: containerId, artifacts, workdir, owner, reference, onLine: logging.onLine });
      await runScript(engine, containerId, { script: 'assemble-runtime', settings: options.settings, ...logging });
    },
  };
}

/**
 * With `S2I_ALLOWED_UIDS` set, the runtime image's USER (which runs assemble-runtime and the app) must be a
 * uid in range, as s2i requires of runtime images under `--allowed-uids`. A named USER is judged once resolved.
 */
function checkRuntimeUser(reference: string, user: string, settings: BuildEngineSettings, uid?: number): void {
  const allowed = settings.allowedUids;
  if (allowed === undefined) return;
  const name = user.split(':', 1)[0].trim();
  const known = uid ?? (name === '' ? 0 : /^\d+$/.test(name) ? Number(name) : undefined);
  if (known === undefined || uidAllowed(known, allowed)) return;
  throw new BuildError({
    step: 'builder',
    reason: `runtime image ${reference} would run assemble-runtime as ${name === '' ? 'root (it sets no USER)' : `uid ${known} (its USER "${user}")`}, which S2I_ALLOWED_UIDS=${formatUidRanges(allowed)} does not allow`,
    hint: `use a runtime image whose USER is a uid in ${formatUidRanges(allowed)}, or ask the operator to widen S2I_ALLOWED_UIDS`,
  });
}

function runtimeArtifacts(options: PrepareRuntimeOptions): RuntimeArtifact[] {
  if (options.artifacts && options.artifacts.length > 0) {
    try {
      for (const artifact of options.artifacts) checkRuntimeArtifact(artifact);
    } catch (error) {
      throw new BuildError({ step: 'builder', reason: (error as Error).message, hint: 'fix runtimeArtifacts: each is an absolute source and a relative destination directory', cause: error });
    }
    return options.artifacts;
  }
  const label = options.image.labels[ASSEMBLE_INPUT_FILES_LABEL]?.trim();
  if (!label) {
    throw new BuildError({
      step: 'builder',
      reason: `no runtime artifacts to copy: the build names none and runtime image ${options.reference} has no ${ASSEMBLE_INPUT_FILES_LABEL} label`,
      hint: 'list the files assemble produces under runtimeArtifacts (source[:destination]), e.g. /opt/app-root/app.jar',
    });
  }
  try {
    return parseAssembleInputFiles(label);
  } catch (error) {
    throw new BuildError({
      step: 'builder',
      reason: `the ${ASSEMBLE_INPUT_FILES_LABEL} label of runtime image ${options.reference} ("${label}") is not usable: ${(error as Error).message}`,
      hint: 'name the artifacts under runtimeArtifacts instead, or fix the label of the runtime image',
      cause: error,
    });
  }
}

/** The runtime image's `image://` scripts directory; undefined when it declares none. */
function runtimeScriptsDir(reference: string, image: ImageInfo): string | undefined {
  const contract = readBuilderContract(reference, image);
  if (contract.imageScriptsDir !== undefined) return contract.imageScriptsDir;
  if (image.labels[LABELS.scriptsUrl]) {
    throw new BuildError({
      step: 'builder',
      reason: `runtime image ${reference} declares ${LABELS.scriptsUrl}="${image.labels[LABELS.scriptsUrl]}"; for runtime images only image:// scripts are used`,
      hint: `point the runtime image's ${LABELS.scriptsUrl} at image:///<dir>, or add .s2i/bin/assemble-runtime and .s2i/bin/run to the source`,
    });
  }
  return undefined;
}

async function copyArtifacts(
  engine: ContainerEngine,
  options: {
    builderContainerId: string;
    runtimeContainerId: string;
    artifacts: RuntimeArtifact[];
    workdir: string;
    owner: NumericUser;
    reference: string;
    onLine: ScriptLogLine;
  },
): Promise<void> {
  const present = await Promise.all(options.artifacts.map((artifact) => engine.pathExists(options.builderContainerId, artifact.source)));
  const missing = options.artifacts.filter((_, index) => !present[index]).map((artifact) => artifact.source);
  if (missing.length > 0) {
    throw new BuildError({
      step: 'assemble',
      reason: `runtime artifact${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist in the builder container after assemble`,
      hint: `make assemble create ${missing.length > 1 ? 'them' : 'it'}, or fix runtimeArtifacts (or the ${ASSEMBLE_INPUT_FILES_LABEL} label of ${options.reference})`,
    });
  }
  for (const artifact of options.artifacts) {
    const archive = await engine.getArchive(options.builderContainerId, artifact.source);
    if (!archive) throw new BuildError({ step: 'assemble', reason: `runtime artifact ${artifact.source} disappeared from the builder container`, hint: 'retry the build' });
    const destination = posix.normalize(artifact.destination).replace(/\/+$/, '');
    const repack = artifactTar({ prefix: destination === '.' ? '' : destination, owner: options.owner, modes: 'normalise', maxBytes: Number.POSITIVE_INFINITY });
    const copied = Promise.all([pipeline(archive, repack.input), repack.done, engine.putArchive(options.runtimeContainerId, options.workdir, repack.output as Readable)]);
    const [, stats] = await copied.catch((error: unknown) => {
      archive.destroy();
      repack.output.destroy();
      throw error;
    });
    const target = destination === '.' ? options.workdir : joinPath(options.workdir, destination);
    options.onLine(`runtime: copied ${artifact.source} to ${target} (${stats.files} file${stats.files === 1 ? '' : 's'}, ${formatBytes(stats.bytes)})`, 'stdout');
  }
}

function normaliseDir(path: string): string {
  return posix.normalize(path).replace(/(.)\/+$/, '$1');
}

function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}
