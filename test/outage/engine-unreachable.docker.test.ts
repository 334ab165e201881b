import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { buildImage } from '../../src/build/build-image.js';
import { BUILD_CONTAINER_PREFIX } from '../../src/build/script-container.js';
import { failureOutput } from '../../src/report/check-output.js';
import { describeFailure } from '../../src/report/describe-failure.js';
import { containerOwnerOf, ownedEngine } from '../../src/store/container-owner.js';
import { removeOrphanContainers } from '../../src/store/remove-orphan-containers.js';
import { RunStore } from '../../src/store/run-store.js';
import { buildErrorOf } from '../support/rejection.js';
import { buildTestBuilder, engine, removeImages, tarOf, testSettings, uniqueTag, unreachableEngine } from '../support/docker.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/outage-engine:${RUN_ID}`;
const OUTPUT = `s2i-bot-test/outage-engine-${RUN_ID}`;
const DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * The Docker socket behind a relay the test can cut: until `cut()`, every connection is passed to the real
 * engine; then every open connection is dropped and new ones are refused, as when the engine dies mid-build.
 */
class SocketRelay {
  readonly path: string;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(dir: string) {
    this.path = join(dir, 'docker.sock');
    this.server = createServer((client) => {
      const engineSide = createConnection(DOCKER_SOCKET);
      for (const socket of [client, engineSide]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(engineSide).pipe(client);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  cut(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
  }
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's2i-bot-outage-engine-'));
  const assemble = '#!/bin/sh\necho "---> compiling"\nsleep 60\n';
  await buildTestBuilder(BUILDER, { assemble, run: '#!/bin/sh\nexec sleep 1\n' }, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'USER 1001']);
});

afterAll(async () => {
  await removeImages(BUILDER);
  await rm(dir, { recursive: true, force: true });
});

describe('outage: the Docker engine goes away in the middle of a build', () => {
  it('fails the build with a clear engine error; the container it could not remove is removed as an orphan later', async () => {
    const relay = new SocketRelay(dir);
    await relay.listen();
    const store = RunStore.open({ path: ':memory:' });
    const claim = store.claimRun({ repo: 'acme/hello', sha: 'a'.repeat(40), environment: 'production', kind: 'push' });
    if (!claim.claimed) throw new Error('the run was refused');
    const owner = { instance: store.instance, runId: claim.run.id };
    const relayed = ownedEngine(unreachableEngine(relay.path), owner);

    const error = await buildErrorOf(
      buildImage(relayed, testSettings(), {
        builder: BUILDER,
        repository: OUTPUT,
        tag: uniqueTag(),
        source: () => tarOf({ 'index.html': 'hi' }),
        onEvent: (event) => {
          if (event.kind === 'log' && event.line === '---> compiling') relay.cut();
        },
      }),
    );
    store.finish(claim.run.id, 'failed', { error: error.reason });
    const left = (await engine.listContainers(BUILD_CONTAINER_PREFIX)).filter((container) => containerOwnerOf(container.name)?.instance === store.instance);
    const removed = await removeOrphanContainers(engine, store);

    expect(error.step).toBe('assemble');
    // Which call notices first (the wait on the dropped connection, or a new connection to the gone socket) varies.
    expect(error.reason).toMatch(new RegExp(`^the Docker engine could not be reached( at ${relay.path})? \\((ENOENT|ECONNRESET|ECONNREFUSED|EPIPE)\\)$`));
    expect(failureOutput(describeFailure(error, 'build')).summary).toContain('**What to do:** start the Docker engine, or point DOCKER_HOST at a running one, and retry');
    expect(left.map((container) => [container.id, container.state])).toEqual([[expect.any(String), 'running']]);
    expect(removed.map((container) => container.id)).toEqual([left[0].id]);
    expect((await engine.listContainers(BUILD_CONTAINER_PREFIX)).filter((container) => containerOwnerOf(container.name)?.instance === store.instance)).toEqual([]);
    store.close();
  });
});
