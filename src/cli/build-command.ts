import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BuildError } from '../build/build-error.js';
import { buildImage, type BuildEvent, type BuildResult } from '../build/build-image.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import { parseImageReference } from '../registry/image-reference.js';
import { registryAuth } from '../registry/docker-config.js';
import { pushImage, type PushResult } from '../registry/push-image.js';
import { loadBuildSettings } from '../settings/build-settings.js';
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
  --push                 push the image, with credentials from DOCKER_CONFIG/config.json
  -q, --quiet            do not stream the assemble log
`;

export interface BuildCommandResult {
  build: BuildResult;
  push?: PushResult;
}

/** `s2i-bot build`: the CLI face of the build engine. */
export async function buildCommand(argv: string[], engine: ContainerEngine, out: Output, signal?: AbortSignal): Promise<BuildCommandResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      builder: { type: 'string' },
      image: { type: 'string' },
      'context-dir': { type: 'string', default: '' },
      env: { type: 'string', multiple: true, default: [] },
      push: { type: 'boolean', default: false },
      quiet: { type: 'boolean', short: 'q', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one source directory', BUILD_USAGE);
  if (!values.builder) throw new UsageError('--builder is required', BUILD_USAGE);
  if (!values.image) throw new UsageError('--image is required', BUILD_USAGE);
  const image = parseImageReference(values.image);
  const env = parseEnvFlags(values.env);
  const dir = positionals[0];
  const isDirectory = await stat(dir).then((stats) => stats.isDirectory(), () => false);
  if (!isDirectory) throw new UsageError(`${dir} is not a directory`, BUILD_USAGE);

  const local = await describeLocalSource(dir);
  if (local.dirty) out.warn(`${dir} has uncommitted changes: the image is built from the files as they are, not from ${local.commit?.sha.slice(0, 7)}`);
  const tag = image.tag ?? local.commit?.sha ?? 'latest';
  const settings = loadBuildSettings();

  const build = await buildImage(engine, settings, {
    builder: values.builder,
    repository: image.repository,
    tag,
    source: () => packDirectory(dir),
    contextDir: values['context-dir'],
    env,
    commit: local.commit,
    sourceLocation: local.location,
    signal,
    pullAuth: (registry) => registryAuth(registry),
    onEvent: (event: BuildEvent) => {
      if (event.kind === 'phase') out.phase(event.message);
      else if (!values.quiet) out.log(event.line);
    },
  });
  out.result(`Built ${build.reference} (${formatBytes(build.sizeBytes)}) in ${(build.durationMs / 1000).toFixed(1)} s`);
  if (!values.push) return { build };

  out.phase(`Pushing ${build.reference} to ${image.registry}`);
  const push = await pushImage(engine, image.repository, tag);
  out.result(`Pushed ${push.pinned}`);
  return { build, push };
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
