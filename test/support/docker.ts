import Docker from 'dockerode';
import tar from 'tar-stream';
import type { Readable } from 'node:stream';
import { BUILD_CONTAINER_PREFIX } from '../../src/build/build-image.js';
import { DEFAULT_API_VERSION, DockerEngine } from '../../src/docker/docker-engine.js';
import type { BuildSettings } from '../../src/settings/build-settings.js';
import { loadBuildSettings } from '../../src/settings/build-settings.js';

/** Images the machine set-up builds locally (`.ci/images`); tests never pull. */
export const BASE_BUSYBOX = 's2i-bot/base-busybox:local';
export const NODEJS_BUILDER = 's2i-bot/builder-nodejs:local';
export const HTML_BUILDER = 's2i-bot/builder-html:local';

export const docker = new Docker({ version: `v${DEFAULT_API_VERSION}` });
export const engine = new DockerEngine(docker);

/** Build settings as an operator would leave them, with a short timeout for tests. */
export function testSettings(overrides: Partial<BuildSettings> = {}): BuildSettings {
  return { ...loadBuildSettings({}), timeoutSeconds: 120, ...overrides };
}

/** Files of an in-memory tree: path → content (string) or { content, mode }. */
export type FileTree = Record<string, string | { content: string; mode: number }>;

/** A tar stream of a file tree, as packDirectory or a GitHub tarball would deliver it. */
export function tarOf(files: FileTree, prefix = ''): Readable {
  const pack = tar.pack();
  for (const [name, value] of Object.entries(files)) {
    const { content, mode } = typeof value === 'string' ? { content: value, mode: 0o644 } : value;
    pack.entry({ name: `${prefix}${name}`, mode }, content);
  }
  pack.finalize();
  return pack as unknown as Readable;
}

/**
 * Builds a small S2I builder image from the local busybox base. `scripts` land in /usr/libexec/s2i;
 * `dockerfile` lines are appended after them (LABEL, USER, ...).
 */
export async function buildTestBuilder(tag: string, scripts: Record<string, string>, dockerfile: string[]): Promise<string> {
  const context: FileTree = {
    Dockerfile: [`FROM ${BASE_BUSYBOX}`, 'COPY scripts/ /usr/libexec/s2i/', ...dockerfile].join('\n') + '\n',
  };
  for (const [name, body] of Object.entries(scripts)) context[`scripts/${name}`] = { content: body, mode: 0o755 };
  if (Object.keys(scripts).length === 0) context['scripts/.keep'] = '';
  const stream = await docker.buildImage(tarOf(context) as unknown as NodeJS.ReadableStream, { t: tag, rm: true, forcerm: true });
  const events = await new Promise<Array<{ error?: string }>>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: Array<{ error?: string }>) => (error ? reject(error) : resolve(output))),
  );
  const failure = events.find((event) => event.error);
  if (failure) throw new Error(`building ${tag} failed: ${failure.error}`);
  return tag;
}

/** Runs a command in a fresh container of `image` and returns its exit code and combined output. */
export async function runInImage(image: string, cmd: string[], options: { entrypoint?: string[]; user?: string } = {}): Promise<{ exitCode: number; output: string }> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    ...(options.entrypoint ? { Entrypoint: options.entrypoint } : {}),
    ...(options.user !== undefined ? { User: options.user } : {}),
    HostConfig: { NetworkMode: 'none' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    return { exitCode: StatusCode, output: demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

/** Build containers left on the engine (there must be none after any build). */
export async function leftoverBuildContainers(tag: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true, filters: { name: [`${BUILD_CONTAINER_PREFIX}${tag}-`] } });
  return containers.map((container) => container.Id);
}

export async function removeImages(...references: string[]): Promise<void> {
  for (const reference of references) await docker.getImage(reference).remove({ force: true }).catch(() => undefined);
}

export async function inspectImageConfig(reference: string): Promise<Docker.ImageInspectInfo['Config']> {
  return (await docker.getImage(reference).inspect()).Config;
}

/** A tag no other test run uses, so parallel test files never share images. */
export function uniqueTag(): string {
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

function demux(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** An engine for a Docker socket that does not exist, as when the engine is down. */
export function unreachableEngine(socketPath: string): DockerEngine {
  return new DockerEngine(new Docker({ socketPath, version: `v${DEFAULT_API_VERSION}` }));
}
