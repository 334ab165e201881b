import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { pushImage } from '../../src/registry/push-image.js';
import { buildErrorOf } from '../support/rejection.js';
import { BASE_BUSYBOX, docker, engine, removeImages, uniqueTag } from '../support/docker.js';
import { freePort, startRegistry, type TestRegistry } from '../support/registry.js';

jest.setTimeout(60_000);

const tagged: string[] = [];

/** Tags the local busybox base as `<address>/outage/hello:<tag>`, standing in for a built image. */
async function imageFor(address: string): Promise<{ repository: string; tag: string }> {
  const repository = `${address}/outage/hello`;
  const tag = uniqueTag();
  await docker.getImage(BASE_BUSYBOX).tag({ repo: repository, tag });
  tagged.push(`${repository}:${tag}`);
  return { repository, tag };
}

afterAll(async () => {
  await removeImages(...tagged);
});

describe('outage: the registry is down (real engine)', () => {
  it('fails the push after 3 tries with a message naming the registry, when nothing listens on its port', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const { repository, tag } = await imageFor(address);
    const retries: number[] = [];

    const error = await buildErrorOf(pushImage(engine, repository, tag, { DOCKER_CONFIG: '/nonexistent' }, { retryDelayMs: 100, onRetry: (_failure, attempt) => retries.push(attempt) }));

    expect(retries).toEqual([1, 2]);
    expect(error.step).toBe('push');
    expect(error.reason).toMatch(new RegExp(`^registry ${address} is unreachable: .*connection refused`));
    expect(error.hint).toBe(`check that ${address} is up and reachable from the Docker engine`);
  });

  it('pushes when the registry comes up while the push waits to try again', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const { repository, tag } = await imageFor(address);
    let registry: Promise<TestRegistry> | undefined;

    try {
      const result = await pushImage(engine, repository, tag, { DOCKER_CONFIG: '/nonexistent' }, { retryDelayMs: 3000, onRetry: () => (registry ??= startRegistry(undefined, port)) });

      expect(registry).toBeDefined();
      expect(result.digest).toBe(await (await registry)?.manifestDigest('outage/hello', tag));
      expect(result.pinned).toBe(`${repository}@${result.digest}`);
    } finally {
      await (await registry)?.stop();
    }
  });
});
