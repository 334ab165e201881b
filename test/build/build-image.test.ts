import type { Readable } from 'node:stream';
import { buildErrorOf } from '../support/rejection.js';
import { buildImage, type BuildEvent } from '../../src/build/build-image.js';
import type { ContainerSpec, ImageInfo } from '../../src/docker/container-engine.js';
import { loadBuildSettings } from '../../src/settings/build-settings.js';
import { packDirectory } from '../../src/source/pack-directory.js';
import { tarOf, unreachableEngine } from '../support/docker.js';
import { UnusedEngine } from '../support/unused-engine.js';

const BUILDER: ImageInfo = {
  id: 'sha256:builder',
  user: '1001',
  entrypoint: null,
  cmd: ['/usr/libexec/s2i/usage'],
  env: ['PATH=/usr/bin:/bin'],
  labels: { 'io.openshift.s2i.scripts-url': 'image:///usr/libexec/s2i' },
  workingDir: '/opt/app-root/src',
  sizeBytes: 1,
  repoDigests: [],
};

/** An engine that gets as far as uploading the source, where the engine fails. */
class UploadFailsEngine extends UnusedEngine {
  readonly removed: string[] = [];
  readonly created: ContainerSpec[] = [];

  constructor() {
    super('a build that fails at upload');
  }

  override inspectImage(): Promise<ImageInfo | undefined> {
    return Promise.resolve(BUILDER);
  }
  override createContainer(spec: ContainerSpec): Promise<string> {
    this.created.push(spec);
    return Promise.resolve('c0ffee');
  }
  override pathExists(): Promise<boolean> {
    return Promise.resolve(true);
  }
  override readFile(): Promise<Buffer | undefined> {
    return Promise.resolve(Buffer.from('root:x:0:0::/:/bin/sh\n'));
  }
  override putArchive(_containerId: string, _path: string, tar: Readable): Promise<void> {
    tar.resume();
    return Promise.reject(new Error('(HTTP code 500) server error - no space left on device'));
  }
  override removeContainer(containerId: string): Promise<void> {
    this.removed.push(containerId);
    return Promise.resolve();
  }
}

describe('build/build-image', () => {
  it('says the Docker engine cannot be reached, and where, when its socket is missing', async () => {
    const engine = unreachableEngine('/nonexistent/docker.sock');

    const error = await buildErrorOf(
      buildImage(engine, loadBuildSettings({}), { builder: 'b', repository: 'r', tag: 't', source: () => tarOf({ 'a.txt': 'a' }) }),
    );

    expect(error.step).toBe('builder');
    expect(error.reason).toBe('the Docker engine could not be reached at /nonexistent/docker.sock (ENOENT)');
    expect(error.hint).toBe('start the Docker engine, or point DOCKER_HOST at a running one, and retry');
  });

  it('reports a source that cannot be read as a source failure, after the builder was found', async () => {
    const engine = new UploadFailsEngine();

    const error = await buildErrorOf(
      buildImage(engine, loadBuildSettings({}), { builder: 'acme/builder', repository: 'acme/app', tag: 'v1', source: () => packDirectory('does-not-exist') }),
    );

    expect(error.step).toBe('source');
    expect(error.reason).toBe("the source archive could not be read: ENOENT: no such file or directory, scandir 'does-not-exist'");
    expect(engine.created).toEqual([]);
  });

  it('reports an engine failure in the step it happened in and still removes the container', async () => {
    const engine = new UploadFailsEngine();
    const events: BuildEvent[] = [];

    const error = await buildErrorOf(
      buildImage(engine, loadBuildSettings({}), {
        builder: 'acme/builder',
        repository: 'acme/app',
        tag: 'v1',
        source: () => tarOf({ 'a.txt': 'a' }),
        onEvent: (event) => events.push(event),
      }),
    );

    expect(error.step).toBe('source');
    expect(error.reason).toBe('the Docker engine failed: (HTTP code 500) server error - no space left on device');
    expect(engine.created).toEqual([
      expect.objectContaining({
        name: expect.stringMatching(/^s2i-bot-build-v1-[0-9a-f]{8}$/),
        image: 'sha256:builder',
        entrypoint: ['/usr/bin/env'],
        cmd: ['/usr/libexec/s2i/assemble'],
        user: '1001',
        readOnlyMounts: [],
        limits: { memoryBytes: 2 * 1024 ** 3, nanoCpus: 1e9, pidsLimit: 1024, network: 'bridge' },
      }),
    ]);
    expect(engine.removed).toEqual(['c0ffee']);
    expect(events.at(-1)).toEqual({ kind: 'phase', phase: 'source', message: 'Preparing source' });
  });
});
