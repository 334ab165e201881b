import type { Readable } from 'node:stream';
import type { ImageInfo, OutputStream, RunResult } from '../../src/docker/container-engine.js';
import { UnusedEngine } from '../support/unused-engine.js';

/** The builder image the SucceedingEngine has: an S2I builder with its scripts in /usr/libexec/s2i, run as 1001. */
export const BUILDER_INFO: ImageInfo = {
  id: `sha256:${'b0'.repeat(32)}`,
  user: '1001',
  entrypoint: null,
  cmd: ['/usr/libexec/s2i/usage'],
  env: ['PATH=/usr/bin:/bin'],
  labels: { 'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i', 'io.openshift.s2i.destination': '/tmp' },
  workingDir: '/opt/app-root',
  sizeBytes: 10_000,
  repoDigests: [],
};

/** The image ID every commit of the SucceedingEngine returns. */
export const BUILT_IMAGE_ID = `sha256:${'1a'.repeat(32)}`;

/**
 * An engine that plays a successful, non-incremental S2I build without Docker: the builder `builder` is present,
 * assemble prints one line and exits 0, the commit succeeds and every push is answered with `digest`. Records the
 * calls a build makes, so a test can assert their order.
 */
export class SucceedingEngine extends UnusedEngine {
  readonly calls: string[] = [];

  constructor(
    private readonly builder: string,
    private readonly digest: string,
  ) {
    super('a successful build');
  }

  /** The registry does not have the commit's image yet, so it is built. */
  override async registryDigest(reference: string): Promise<string | undefined> {
    this.calls.push(`registryDigest ${reference}`);
    return undefined;
  }

  override async inspectImage(reference: string): Promise<ImageInfo | undefined> {
    this.calls.push(`inspectImage ${reference}`);
    if (reference === this.builder) return BUILDER_INFO;
    return reference === BUILT_IMAGE_ID ? { ...BUILDER_INFO, id: BUILT_IMAGE_ID, sizeBytes: 20_000 } : undefined;
  }
  override async createContainer(): Promise<string> {
    this.calls.push('createContainer');
    return 'build-container';
  }
  override async pathExists(): Promise<boolean> {
    return true;
  }
  override async readFile(_containerId: string, path: string): Promise<Buffer | undefined> {
    return path === '/etc/passwd' ? Buffer.from('default:x:1001:0::/opt/app-root:/bin/sh\n') : undefined;
  }
  override async putArchive(_containerId: string, path: string, tar: Readable): Promise<void> {
    this.calls.push(`putArchive ${path}`);
    for await (const chunk of tar) void chunk;
  }
  override async run(_containerId: string, onOutput: (chunk: Buffer, stream: OutputStream) => void, _timeoutMs?: number, _signal?: AbortSignal): Promise<RunResult> {
    this.calls.push('run');
    onOutput(Buffer.from('---> Copying the site\n'), 'stdout');
    return { exitCode: 0, timedOut: false, cancelled: false };
  }
  override async commit(): Promise<string> {
    this.calls.push('commit');
    return BUILT_IMAGE_ID;
  }
  override async removeContainer(): Promise<void> {
    this.calls.push('removeContainer');
  }
  override async pushImage(repository: string, tag: string): Promise<{ digest: string }> {
    this.calls.push(`pushImage ${repository}:${tag}`);
    return { digest: this.digest };
  }
}
