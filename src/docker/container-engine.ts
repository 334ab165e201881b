import type { Readable, Writable } from 'node:stream';

/** What the build stage needs to know about an image. */
export interface ImageInfo {
  id: string;
  /** The image's USER, '' when unset (root). */
  user: string;
  entrypoint: string[] | null;
  cmd: string[] | null;
  /** KEY=VALUE pairs as stored in the image config. */
  env: string[];
  labels: Record<string, string>;
  workingDir: string;
  sizeBytes: number;
  repoDigests: string[];
}

/** Resource limits and isolation of a build container. */
export interface ContainerLimits {
  memoryBytes: number;
  nanoCpus: number;
  pidsLimit: number;
  network: 'bridge' | 'none';
}

/** A read-only file or directory from the host, the only kind of host mount a build container may get. */
export interface ReadOnlyMount {
  source: string;
  target: string;
}

export interface ContainerSpec {
  /** Container name; build containers are found by their name prefix (labels would be inherited by the commit). */
  name: string;
  image: string;
  entrypoint: string[];
  cmd: string[];
  user: string;
  env: string[];
  limits: ContainerLimits;
  readOnlyMounts: ReadOnlyMount[];
  /**
   * Keep no engine-side log of the output (log driver `none`): for containers whose stdout is data, such as the
   * tar stream of `save-artifacts`, which would otherwise be stored a second time in the container's log file.
   */
  discardLogs?: boolean;
}

/** The image config written by a commit; fields left out keep the container's values. */
export interface CommitSpec {
  repository: string;
  tag: string;
  cmd: string[];
  entrypoint: string[] | null;
  user: string;
  env: string[];
  labels: Record<string, string>;
  workingDir: string;
}

/** Base64-able credentials for one registry, in the Engine API's X-Registry-Auth shape. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export interface RunResult {
  exitCode: number;
  timedOut: boolean;
  /** The caller's signal aborted the run and the container was killed. */
  cancelled: boolean;
}

export type OutputStream = 'stdout' | 'stderr';

/** An image of one repository on the engine. */
export interface LocalImage {
  id: string;
  /** `repository:tag` references of this image within the repository asked for. */
  tags: string[];
  /** Creation time, seconds since the epoch. */
  created: number;
}

/** A container on the engine, as listed. */
export interface ContainerSummary {
  id: string;
  /** Without Docker's leading `/`. */
  name: string;
  /** `created`, `running`, `exited`, ... */
  state: string;
  /** Creation time, seconds since the epoch. */
  created: number;
}

/**
 * The container engine as the build stage sees it: a handful of Engine API calls.
 * Only `docker-engine.ts` implements it; everything else depends on this interface.
 */
export interface ContainerEngine {
  /** Resolves to undefined when the image is not present locally. */
  inspectImage(reference: string): Promise<ImageInfo | undefined>;
  pullImage(reference: string, auth: RegistryAuth | undefined): Promise<void>;
  createContainer(spec: ContainerSpec): Promise<string>;
  /** Extracts a tar stream at `path` inside the container; entries keep the uid/gid of their tar headers. */
  putArchive(containerId: string, path: string, tar: Readable): Promise<void>;
  /** Reads one regular file of a (created or stopped) container; undefined when it does not exist. */
  readFile(containerId: string, path: string, maxBytes: number): Promise<Buffer | undefined>;
  /** Whether a path exists inside a (created or stopped) container. */
  pathExists(containerId: string, path: string): Promise<boolean>;
  /**
   * Streams a file or directory of a (created or stopped) container as a tar whose entries are named from the
   * path's last component (`/opt/app/dist` → `dist/...`); undefined when the path does not exist.
   */
  getArchive(containerId: string, path: string): Promise<Readable | undefined>;
  /** Attaches, starts, and waits for the container; kills it when `timeoutMs` passes or `signal` aborts. */
  run(
    containerId: string,
    onOutput: (chunk: Buffer, stream: OutputStream) => void,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RunResult>;
  /**
   * Like `run`, for a container whose stdout is data: stdout is written to `stdout` with backpressure (a slow
   * reader slows the container down, nothing piles up in memory) and `stdout` is ended when the output ends;
   * stderr goes to `onStderr`. When `stdout` fails, the rest of the output is read and dropped so the
   * container can finish.
   */
  runWithStdout(
    containerId: string,
    stdout: Writable,
    onStderr: (chunk: Buffer) => void,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RunResult>;
  commit(containerId: string, spec: CommitSpec): Promise<string>;
  /** Images of `repository` (no tag) on the engine, newest first. */
  listImages(repository: string): Promise<LocalImage[]>;
  /** Containers in any state (running or not) whose name starts with `namePrefix`. */
  listContainers(namePrefix: string): Promise<ContainerSummary[]>;
  /** Removes a container and its anonymous volumes; absent containers are not an error. */
  removeContainer(containerId: string): Promise<void>;
  /** Pushes repository:tag and resolves to the manifest digest the registry stored. */
  pushImage(repository: string, tag: string, auth: RegistryAuth | undefined): Promise<{ digest: string }>;
  /**
   * The manifest digest the registry serves for `repository:tag`, asked through the engine (so its registry
   * settings apply); undefined when the registry has no such tag or refuses to say.
   */
  registryDigest(reference: string, auth: RegistryAuth | undefined): Promise<string | undefined>;
  /** Resolves when the engine answers; rejects when it is unreachable or `signal` aborts first (readiness). */
  ping(signal?: AbortSignal): Promise<void>;
}
