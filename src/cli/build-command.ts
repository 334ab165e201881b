import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BuildError } from '../build/build-error.js';
import { buildImage, type BuildEvent, type BuildResult } from '../build/build-image.js';
import { cacheTag } from '../build/incremental-artifacts.js';
import { parseRuntimeArtifact, type RuntimeArtifact } from '../build/runtime-image.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import { parseImageReference } from '../registry/image-reference.js';
import { registryAuth } from '../registry/docker-config.js';
import { pushImage, type PushResult } from '../registry/push-image.js';
import { loadRedactor } from '../security/redact.js';
import { loadEngineSettings } from '../settings/engine-settings.js';
import { formatBytes } from '../source/prepare-source.js';
import { packDirectory } from '../source/pack-directory.js';
import { describeLocalSource } from './local-source.js';
import { UsageError, type Output } from './output.js';

export const BUILD_USAGE = `Usage: s2i-bot build <dir> --builder IMAGE --image REPO[:TAG] [options]

Builds <dir> into an image with an S2I builder image on the Docker engine (DOCKER_HOST).

Options:
  --builder IMAGE        S2I builder image (required)
  --image REPO[:TAG]     output image; the tag defaults to the git commit SHA of <dir>, else "latest" (required)
  --context-dir DIR      build this subdirectory of <dir>
  --env KEY=VALUE        build and runtime environment variable (repeatable)
  --incremental          restore the previous image's save-artifacts output into /tmp/artifacts before assemble
                         (no previous image or no save-artifacts: a clean build, with a note)
  --no-incremental       a clean build (the default; the last of the two flags wins)
  --previous-image REF   image to restore artifacts from (default: REPO:TAG when --image has a tag, else the
                         newest image of REPO on the engine)
  --runtime-image IMAGE  ship IMAGE instead of the builder: artifacts are copied into it and its assemble-runtime runs
  --runtime-artifact SRC[:DEST]
                         file or directory SRC of the builder container to copy into DEST (relative to the runtime
                         image's WORKDIR, default .) (repeatable; default: the runtime image's
                         io.openshift.s2i.assemble-input-files label)
  --push                 push the image, with credentials from DOCKER_CONFIG/config.json
  -q, --quiet            do not stream the assemble log
`;

export interface BuildCommandResult {
  build: BuildResult;
  push?: PushResult;
}

/** `s2i-bot build`: the CLI face of the build engine. */
export async function buildCommand(argv: string[], engine: ContainerEngine, out: Output, signal?: AbortSignal): Promise<BuildCommandResult> {
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    tokens: true,
    options: {
      builder: { type: 'string' },
      image: { type: 'string' },
      'context-dir': { type: 'string', default: '' },
      env: { type: 'string', multiple: true, default: [] },
      incremental: { type: 'boolean' },
      'no-incremental': { type: 'boolean' },
      'previous-image': { type: 'string' },
      'runtime-image': { type: 'string' },
      'runtime-artifact': { type: 'string', multiple: true, default: [] },
      push: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one source directory', BUILD_USAGE);
  if (!values.builder) throw new UsageError('--builder is required', BUILD_USAGE);
  if (!values.image) throw new UsageError('--image is required', BUILD_USAGE);
  const image = parseImageReference(values.image);
  const env = parseEnvFlags(values.env);
  const runtimeArtifacts = parseRuntimeArtifactFlags(values['runtime-artifact']);
  if (runtimeArtifacts.length > 0 && !values['runtime-image']) throw new UsageError('--runtime-artifact needs --runtime-image', BUILD_USAGE);
  // The last of --incremental and --no-incremental wins, so an alias with one can be overridden by the other.
  const incremental = tokens.filter((token) => token.kind === 'option' && (token.name === 'incremental' || token.name === 'no-incremental')).at(-1)?.name === 'incremental';
  if (values['previous-image'] && !incremental) throw new UsageError('--previous-image needs --incremental', BUILD_USAGE);
  const dir = positionals[0];
  const isDirectory = await stat(dir).then((stats) => stats.isDirectory(), () => false);
  if (!isDirectory) throw new UsageError(`${dir} is not a directory`, BUILD_USAGE);

  const local = await describeLocalSource(dir);
  if (local.dirty) out.warn(`${dir} has uncommitted changes: the image is built from the files as they are, not from ${local.commit?.sha.slice(0, 7)}`);
  const tag = image.tag ?? local.commit?.sha ?? 'latest';
  const settings = loadEngineSettings();
  const previousImage = incremental ? (values['previous-image'] ?? (image.tag ? `${image.repository}:${image.tag}` : await newestImage(engine, image.repository))) : undefined;

  // Registry credentials and secret-looking --env values show as *** in the log and in errors.
  const redactor = await loadRedactor({ env: process.env, proxy: settings.proxy, buildEnv: env });
  const build = await buildImage(engine, settings, {
    builder: values.builder,
    repository: image.repository,
    tag,
    source: () => packDirectory(dir),
    contextDir: values['context-dir'],
    env,
    incremental,
    ...(previousImage ? { previousImage } : {}),
    ...(values['runtime-image'] ? { runtimeImage: values['runtime-image'] } : {}),
    ...(runtimeArtifacts.length > 0 ? { runtimeArtifacts } : {}),
    commit: local.commit,
    sourceLocation: local.location,
    signal,
    pullAuth: (registry) => registryAuth(registry),
    redact: redactor.redact.bind(redactor),
    onEvent: (event: BuildEvent) => {
      if (event.kind === 'phase') out.phase(event.message);
      else if (!values.quiet) out.log(event.line);
    },
  });
  const restored = build.restoredFrom ? `, incremental from ${build.restoredFrom}` : '';
  out.result(`Built ${build.reference} (${formatBytes(build.sizeBytes)}) in ${(build.durationMs / 1000).toFixed(1)} s${restored}`);
  if (!values.push) return { build };

  out.phase(`Pushing ${build.reference} to ${image.registry}`);
  const push = await pushImage(engine, image.repository, tag);
  out.result(`Pushed ${push.pinned}`);
  return { build, push };
}

/** The newest image of `repository` on the engine (its cache images left out), for `--incremental` without a tag. */
async function newestImage(engine: ContainerEngine, repository: string): Promise<string | undefined> {
  const cacheSuffix = cacheTag('');
  const images = await engine.listImages(repository);
  return images.flatMap((entry) => entry.tags.filter((tag) => !tag.endsWith(cacheSuffix))).at(0);
}

function parseRuntimeArtifactFlags(values: string[]): RuntimeArtifact[] {
  return values.map((value) => {
    try {
      return parseRuntimeArtifact(value);
    } catch (error) {
      throw new UsageError((error as Error).message, BUILD_USAGE);
    }
  });
}

function parseEnvFlags(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const key = equals < 0 ? '' : pair.slice(0, equals);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new UsageError(`--env "${pair}" is not KEY=VALUE`, BUILD_USAGE);
    env[key] = pair.slice(equals + 1);
  }
  return env;
}

/** One line saying why a build failed and what to do, for a terminal. */
export function describeFailure(error: unknown): string {
  if (error instanceof BuildError) return `${error.step} failed: ${error.reason}. ${capitalise(error.hint)}.`;
  return (error as Error).message ?? String(error);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
