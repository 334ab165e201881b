import type { Readable } from 'node:stream';

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
  /** Attaches, starts, and waits for the container; kills it when `timeoutMs` passes or `signal` aborts. */
  run(
    containerId: string,
    onOutput: (chunk: Buffer, stream: OutputStream) => void,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RunResult>;
  commit(containerId: string, spec: CommitSpec): Promise<string>;
  /** Removes a container and its anonymous volumes; absent containers are not an error. */
  removeContainer(containerId: string): Promise<void>;
  /** Pushes repository:tag and resolves to the manifest digest the registry stored. */
  pushImage(repository: string, tag: string, auth: RegistryAuth | undefined): Promise<{ digest: string }>;
}
