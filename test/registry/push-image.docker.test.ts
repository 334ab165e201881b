import { jest } from '@jest/globals';
import type { BuildError } from '../../src/build/build-error.js';
import { buildErrorOf } from '../support/rejection.js';
import { pushImage } from '../../src/registry/push-image.js';
import { BASE_BUSYBOX, docker, engine, removeImages, uniqueTag } from '../support/docker.js';
import { dockerConfigWith, startRegistry, type TestRegistry } from '../support/registry.js';

jest.setTimeout(60_000);

const CREDENTIALS = { username: 'deployer', password: 'correct horse battery staple' };

let registry: TestRegistry;
const tagged: string[] = [];

/** Tags the local busybox base as `<registry>/<name>:<tag>`, standing in for a built image. */
async function localImage(address: string, name: string): Promise<{ repository: string; tag: string }> {
  const repository = `${address}/${name}`;
  const tag = uniqueTag();
  await docker.getImage(BASE_BUSYBOX).tag({ repo: repository, tag });
  tagged.push(`${repository}:${tag}`);
  return { repository, tag };
}

async function pushFailure(...args: Parameters<typeof pushImage>): Promise<BuildError> {
  return buildErrorOf(pushImage(...args));
}

beforeAll(async () => {
  registry = await startRegistry(CREDENTIALS);
});

afterAll(async () => {
  await registry?.stop();
  await removeImages(...tagged);
});

describe('registry/push-image (real registry with basic auth)', () => {
  it('pushes with the credentials of DOCKER_CONFIG and returns the digest the registry serves', async () => {
    const { repository, tag } = await localImage(registry.address, 'acme/hello');
    const config = await dockerConfigWith(registry.address, CREDENTIALS);

    try {
      const result = await pushImage(engine, repository, tag, { DOCKER_CONFIG: config.dir });

      const served = await registry.manifestDigest('acme/hello', tag);
      expect(result).toEqual({
        registry: registry.address,
        reference: `${repository}:${tag}`,
        digest: served,
        pinned: `${repository}@${served}`,
      });
      expect(served).toMatch(/^sha256:[0-9a-f]{64}$/);
    } finally {
      await config.remove();
    }
  });

  it('fails clearly, naming the registry and the config file, when the credentials are wrong', async () => {
    const { repository, tag } = await localImage(registry.address, 'acme/hello');
    const config = await dockerConfigWith(registry.address, { username: 'deployer', password: 'wrong' });

    try {
      const error = await pushFailure(engine, repository, tag, { DOCKER_CONFIG: config.dir });

      expect(error.step).toBe('push');
      expect(error.reason).toMatch(new RegExp(`^registry ${registry.address} refused the credentials: `));
      expect(error.hint).toBe(`correct the credentials for ${registry.address} in ${config.dir}/config.json (docker login ${registry.address})`);
      expect(await registry.manifestDigest('acme/hello', tag)).toBeUndefined();
    } finally {
      await config.remove();
    }
  });

  it('fails clearly when there are no credentials for a registry that needs them', async () => {
    const { repository, tag } = await localImage(registry.address, 'acme/hello');
    const config = await dockerConfigWith('other.example:5000', CREDENTIALS);

    try {
      const error = await pushFailure(engine, repository, tag, { DOCKER_CONFIG: config.dir });

      expect(error.reason).toMatch(new RegExp(`^registry ${registry.address} refused the anonymous push: `));
      expect(error.hint).toBe(`add credentials for ${registry.address} to ${config.dir}/config.json (docker login ${registry.address})`);
    } finally {
      await config.remove();
    }
  });

  it('fails clearly when the registry is unreachable', async () => {
    const down = await startRegistry();
    await down.stop();
    const { repository, tag } = await localImage(down.address, 'acme/hello');

    const error = await pushFailure(engine, repository, tag, { DOCKER_CONFIG: '/nonexistent' });

    expect(error.step).toBe('push');
    expect(error.reason).toMatch(new RegExp(`^registry ${down.address} is unreachable: `));
    expect(error.hint).toBe(`check that ${down.address} is up and reachable from the Docker engine`);
  });
});
