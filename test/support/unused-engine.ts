import type { Readable, Writable } from 'node:stream';
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
} from '../../src/docker/container-engine.js';

/**
 * A ContainerEngine whose every call fails the test: unit tests extend it and override only the calls the code
 * under test is allowed to make, so any other call is caught.
 */
export class UnusedEngine implements ContainerEngine {
  constructor(private readonly subject: string) {}

  private unused(call: string): never {
    throw new Error(`${call} is not used by ${this.subject}`);
  }

  inspectImage(_reference: string): Promise<ImageInfo | undefined> {
    this.unused('inspectImage');
  }
  pullImage(_reference: string, _auth: RegistryAuth | undefined): Promise<void> {
    this.unused('pullImage');
  }
  createContainer(_spec: ContainerSpec): Promise<string> {
    this.unused('createContainer');
  }
  putArchive(_containerId: string, _path: string, _tar: Readable): Promise<void> {
    this.unused('putArchive');
  }
  readFile(_containerId: string, _path: string, _maxBytes: number): Promise<Buffer | undefined> {
    this.unused('readFile');
  }
  pathExists(_containerId: string, _path: string): Promise<boolean> {
    this.unused('pathExists');
  }
  run(_containerId: string, _onOutput: (chunk: Buffer, stream: OutputStream) => void, _timeoutMs: number, _signal?: AbortSignal): Promise<RunResult> {
    this.unused('run');
  }
  getArchive(_containerId: string, _path: string): Promise<Readable | undefined> {
    this.unused('getArchive');
  }
  runWithStdout(_containerId: string, _stdout: Writable, _onStderr: (chunk: Buffer) => void, _timeoutMs: number, _signal?: AbortSignal): Promise<RunResult> {
    this.unused('runWithStdout');
  }
  listImages(_repository: string): Promise<LocalImage[]> {
    this.unused('listImages');
  }
  commit(_containerId: string, _spec: CommitSpec): Promise<string> {
    this.unused('commit');
  }
  listContainers(_namePrefix: string): Promise<ContainerSummary[]> {
    this.unused('listContainers');
  }
  removeContainer(_containerId: string): Promise<void> {
    this.unused('removeContainer');
  }
  pushImage(_repository: string, _tag: string, _auth: RegistryAuth | undefined): Promise<{ digest: string }> {
    this.unused('pushImage');
  }
  registryDigest(_reference: string, _auth: RegistryAuth | undefined): Promise<string | undefined> {
    this.unused('registryDigest');
  }
  ping(_signal?: AbortSignal): Promise<void> {
    this.unused('ping');
  }
}
