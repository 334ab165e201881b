import Docker from 'dockerode';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import type {
  CommitSpec,
  ContainerEngine,
  ContainerSpec,
  ContainerSummary,
  ImageInfo,
  LocalImage,
  OutputStream,
  RegistryAuth,
  RunResult,
} from './container-engine.js';

/** The Engine API version spoken by default: the newest one Debian 12's daemon (20.10) understands. */
export const DEFAULT_API_VERSION = '1.41';

/** An error the daemon reported inside a JSON progress stream (pull, push). */
export class EngineStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineStreamError';
  }
}

interface ProgressEvent {
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string; Tag?: string; Size?: number };
}

/**
 * ContainerEngine over the Docker Engine API (dockerode). DOCKER_HOST selects the daemon,
 * DOCKER_API_VERSION the API version (default 1.41).
 */
export class DockerEngine implements ContainerEngine {
  readonly docker: Docker;

  constructor(docker?: Docker) {
    this.docker = docker ?? new Docker({ version: `v${process.env.DOCKER_API_VERSION ?? DEFAULT_API_VERSION}` });
  }

  async inspectImage(reference: string): Promise<ImageInfo | undefined> {
    try {
      const image = await this.docker.getImage(reference).inspect();
      const config = image.Config ?? ({} as Docker.ImageInspectInfo['Config']);
      return {
        id: image.Id,
        user: config.User ?? '',
        entrypoint: normaliseCommand(config.Entrypoint),
        cmd: normaliseCommand(config.Cmd),
        env: config.Env ?? [],
        labels: config.Labels ?? {},
        workingDir: config.WorkingDir ?? '',
        sizeBytes: image.Size,
        repoDigests: image.RepoDigests ?? [],
      };
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async pullImage(reference: string, auth: RegistryAuth | undefined): Promise<void> {
    const stream = (await this.docker.pull(reference, auth ? { authconfig: auth } : {})) as Readable;
    await readProgress(stream);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Entrypoint: spec.entrypoint,
      Cmd: spec.cmd,
      User: spec.user,
      Env: spec.env,
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      NetworkDisabled: spec.limits.network === 'none',
      HostConfig: {
        Privileged: false,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        Memory: spec.limits.memoryBytes,
        MemorySwap: spec.limits.memoryBytes,
        NanoCpus: spec.limits.nanoCpus,
        PidsLimit: spec.limits.pidsLimit,
        NetworkMode: spec.limits.network,
        Mounts: spec.readOnlyMounts.map((mount) => ({
          Type: 'bind' as const,
          Source: mount.source,
          Target: mount.target,
          ReadOnly: true,
        })),
        AutoRemove: false,
        ...(spec.discardLogs ? { LogConfig: { Type: 'none', Config: {} } } : {}),
      },
    });
    return container.id;
  }

  async putArchive(containerId: string, path: string, tar: Readable): Promise<void> {
    await this.docker.getContainer(containerId).putArchive(tar, { path });
  }

  async readFile(containerId: string, path: string, maxBytes: number): Promise<Buffer | undefined> {
    let archive: NodeJS.ReadableStream;
    try {
      archive = await this.docker.getContainer(containerId).getArchive({ path });
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
    return firstFileOfTar(archive as Readable, maxBytes);
  }

  async pathExists(containerId: string, path: string): Promise<boolean> {
    try {
      // Not infoArchive: the HEAD request leaves its socket open, which keeps a CLI process alive for minutes.
      const archive = (await this.docker.getContainer(containerId).getArchive({ path })) as Readable;
      archive.destroy();
      return true;
    } catch (error) {
      if (statusCode(error) === 404) return false;
      throw error;
    }
  }

  async run(
    containerId: string,
    onOutput: (chunk: Buffer, stream: OutputStream) => void,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RunResult> {
    const container = this.docker.getContainer(containerId);
    const attached = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => onOutput(chunk, 'stdout'));
    stderr.on('data', (chunk: Buffer) => onOutput(chunk, 'stderr'));
    const drained = new Promise<void>((resolve) => {
      attached.on('end', resolve);
      attached.on('close', resolve);
      attached.on('error', resolve);
    });
    this.docker.modem.demuxStream(attached, stdout, stderr);

    let timedOut = false;
    let cancelled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      container.kill().catch(() => undefined);
    }, timeoutMs);
    const cancel = () => {
      cancelled = true;
      container.kill().catch(() => undefined);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      const StatusCode = await startAndWait(container, drained);
      // The attach stream ends right after the process; wait briefly so the last lines are not lost.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise((resolve) => (grace = setTimeout(resolve, 2000)))]);
      clearTimeout(grace);
      return { exitCode: StatusCode, timedOut, cancelled };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      (attached as unknown as Readable).destroy();
    }
  }

  async getArchive(containerId: string, path: string): Promise<Readable | undefined> {
    try {
      return (await this.docker.getContainer(containerId).getArchive({ path })) as Readable;
    } catch (error) {
      if (statusCode(error) === 404) return undefined;
      throw error;
    }
  }

  async runWithStdout(
    containerId: string,
    stdout: Writable,
    onStderr: (chunk: Buffer) => void,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RunResult> {
    const container = this.docker.getContainer(containerId);
    const attached = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    let timedOut = false;
    let cancelled = false;
    const kill = () => container.kill().catch(() => undefined);
    const timer = setTimeout(() => ((timedOut = true), kill()), timeoutMs);
    const cancel = () => ((cancelled = true), kill());
    signal?.addEventListener('abort', cancel, { once: true });
    const copied = copyFrames(attached, stdout, onStderr);
    try {
      const StatusCode = await startAndWait(container, copied);
      // The process has exited, so what is left of its output is in flight; a stream that never ends is cut off.
      let grace: NodeJS.Timeout | undefined;
      const ended = await Promise.race([copied.then(() => true), new Promise<boolean>((resolve) => (grace = setTimeout(() => resolve(false), OUTPUT_GRACE_MS)))]);
      clearTimeout(grace);
      if (!ended) stdout.destroy(new Error(`the output did not end within ${OUTPUT_GRACE_MS / 1000}s of the container's exit`));
      return { exitCode: StatusCode, timedOut, cancelled };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
      attached.destroy();
      await copied.catch(() => undefined);
    }
  }

  async listImages(repository: string): Promise<LocalImage[]> {
    const images = await this.docker.listImages({ filters: JSON.stringify({ reference: [repository] }) });
    return images
      .map((image) => ({
        id: image.Id,
        tags: (image.RepoTags ?? []).filter((tag) => tag.startsWith(`${repository}:`)),
        created: image.Created,
      }))
      .filter((image) => image.tags.length > 0)
      .sort((a, b) => b.created - a.created);
  }

  async commit(containerId: string, spec: CommitSpec): Promise<string> {
    const result = (await this.docker.getContainer(containerId).commit({
      _query: { container: containerId, repo: spec.repository, tag: spec.tag, pause: false },
      _body: {
        Cmd: spec.cmd,
        // null would keep the build container's /usr/bin/env; [] clears it when the builder has none.
        Entrypoint: spec.entrypoint ?? [],
        User: spec.user,
        Env: spec.env,
        Labels: spec.labels,
        WorkingDir: spec.workingDir,
      },
    })) as { Id: string };
    return result.Id;
  }

  async listContainers(namePrefix: string): Promise<ContainerSummary[]> {
    // The engine's name filter is a regular expression over `/<name>`; the prefix check below is the exact one.
    const containers = await this.docker.listContainers({ all: true, filters: { name: [`^/${namePrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`] } });
    return containers
      .map((container) => ({ id: container.Id, name: (container.Names[0] ?? '').replace(/^\//, ''), state: container.State, created: container.Created }))
      .filter((container) => container.name.startsWith(namePrefix));
  }

  async removeContainer(containerId: string): Promise<void> {
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (error) {
      const code = statusCode(error);
      if (code === 404) return;
      // 409: removal already in progress, which is what we want.
      if (code === 409) return;
      throw error;
    }
  }

  async pushImage(repository: string, tag: string, auth: RegistryAuth | undefined): Promise<{ digest: string }> {
    const image = this.docker.getImage(`${repository}:${tag}`);
    const stream = (await image.push({ tag, ...(auth ? { authconfig: auth } : {}) })) as Readable;
    const events = await readProgress(stream);
    const digest = events.map((event) => event.aux?.Digest).find((value): value is string => Boolean(value));
    if (!digest) throw new EngineStreamError('the registry did not report a digest for the pushed image');
    return { digest };
  }

  async registryDigest(reference: string, auth: RegistryAuth | undefined): Promise<string | undefined> {
    try {
      const data = (await this.docker.getImage(reference).distribution(auth ? { authconfig: auth } : {})) as { Descriptor?: { digest?: string } };
      return data.Descriptor?.digest;
    } catch (error) {
      // The engine answers 404 for an unknown tag and 401/403 when the registry will not say.
      if ([401, 403, 404].includes((error as { statusCode?: number }).statusCode ?? 0)) return undefined;
      throw error;
    }
  }

  async ping(signal?: AbortSignal): Promise<void> {
    // dockerode passes an abort signal on to the request here; its type declarations do not list the option.
    const ping = this.docker.ping.bind(this.docker) as (options: { abortSignal?: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: signal });
  }
}

/**
 * Starts a created container and resolves to its exit code. A `next-exit` wait is sent before the start, so the
 * exit is reported the moment it happens; but it travels on its own connection and can reach the daemon after
 * a quick process has already exited, and then it never answers. So once the output has ended, a `not-running`
 * wait (which answers at once for an exited container) is asked too, and the first answer wins.
 */
async function startAndWait(container: Docker.Container, outputEnded: Promise<unknown>): Promise<number> {
  const abort = new AbortController();
  const wait = (condition: 'next-exit' | 'not-running') =>
    (container.wait({ condition, abortSignal: abort.signal } as Docker.ContainerWaitOptions) as Promise<{ StatusCode: number }>).then((result) => result.StatusCode);
  const nextExit = wait('next-exit');
  nextExit.catch(() => undefined);
  try {
    await container.start();
    const late = outputEnded
      .then(() => new Promise((resolve) => setTimeout(resolve, EXIT_REPORT_GRACE_MS)))
      .then(() => (abort.signal.aborted ? new Promise<number>(() => undefined) : wait('not-running')));
    late.catch(() => undefined);
    return await Promise.race([nextExit, late]);
  } finally {
    // The losing request would keep its socket, and so the process, alive.
    abort.abort();
  }
}

/** How long after a container's output ended its `next-exit` wait may take before `not-running` is asked. */
const EXIT_REPORT_GRACE_MS = 250;

/** How long the output of a container that has exited may take to arrive in full. */
const OUTPUT_GRACE_MS = 30_000;

/**
 * Demultiplexes the Engine API's attach stream (8-byte frame headers: stream type, 3 bytes padding, length),
 * writing stdout frames to `stdout` with backpressure and ending it at the end of the stream.
 */
async function copyFrames(attached: Readable, stdout: Writable, onStderr: (chunk: Buffer) => void): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  const writeOut = async (payload: Buffer) => {
    if (stdout.destroyed || stdout.writableEnded) return;
    if (stdout.write(payload)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        stdout.off('drain', done);
        stdout.off('close', done);
        stdout.off('error', done);
        resolve();
      };
      stdout.on('drain', done);
      stdout.on('close', done);
      stdout.on('error', done);
    });
  };
  try {
    for await (const chunk of attached) {
      pending = pending.length === 0 ? (chunk as Buffer) : Buffer.concat([pending, chunk as Buffer]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        const type = pending[0];
        const payload = pending.subarray(8, 8 + size);
        pending = pending.subarray(8 + size);
        if (type === 1) await writeOut(payload);
        else if (type === 2) onStderr(payload);
      }
    }
  } catch {
    // The stream was destroyed (the run is over); whatever arrived has been written.
  }
  if (!stdout.destroyed && !stdout.writableEnded) stdout.end();
}

function normaliseCommand(value: string | string[] | undefined | null): string[] | null {
  if (value === undefined || value === null) return null;
  return Array.isArray(value) ? value : [value];
}

function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as { statusCode?: number }).statusCode
    : undefined;
}

/** Reads a newline-delimited JSON progress stream; the first `error` event rejects. */
async function readProgress(stream: Readable): Promise<ProgressEvent[]> {
  const events: ProgressEvent[] = [];
  let buffered = '';
  for await (const chunk of stream) {
    buffered += (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) continue;
      const event = JSON.parse(line) as ProgressEvent;
      if (event.error) throw new EngineStreamError(event.errorDetail?.message ?? event.error);
      events.push(event);
    }
  }
  if (buffered.trim()) {
    const event = JSON.parse(buffered) as ProgressEvent;
    if (event.error) throw new EngineStreamError(event.errorDetail?.message ?? event.error);
    events.push(event);
  }
  return events;
}

/** The content of the first regular file in a tar stream, refusing files larger than `maxBytes`. */
async function firstFileOfTar(archive: Readable, maxBytes: number): Promise<Buffer | undefined> {
  const extract = tar.extract();
  archive.pipe(extract);
  try {
    for await (const entry of extract) {
      if (entry.header.type !== 'file') {
        entry.resume();
        continue;
      }
      if ((entry.header.size ?? 0) > maxBytes) throw new Error(`${entry.header.name} is larger than ${maxBytes} bytes`);
      return await buffer(entry);
    }
    return undefined;
  } finally {
    archive.unpipe(extract);
    archive.resume();
  }
}
