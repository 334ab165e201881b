import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildError } from '../../src/build/build-error.js';
import { buildErrorOf } from '../support/rejection.js';
import { UnusedEngine } from '../support/unused-engine.js';
import type { ContainerEngine, RegistryAuth } from '../../src/docker/container-engine.js';
import { pushImage } from '../../src/registry/push-image.js';

const DIGEST = 'sha256:4b3a0a4f0f7e3e5d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d';

interface PushCall {
  repository: string;
  tag: string;
  auth: RegistryAuth | undefined;
}

/** A container engine that can only push: it records the call and answers with `outcome`. */
class PushOnlyEngine extends UnusedEngine {
  readonly pushes: PushCall[] = [];

  constructor(private readonly outcome: () => Promise<{ digest: string }>) {
    super('pushImage');
  }

  override pushImage(repository: string, tag: string, auth: RegistryAuth | undefined): Promise<{ digest: string }> {
    this.pushes.push({ repository, tag, auth });
    return this.outcome();
  }

}

/** An error shaped like the ones dockerode rejects with. */
function dockerodeError(message: string, statusCode?: number): Error {
  return Object.assign(new Error(message), statusCode === undefined ? {} : { statusCode, json: { message } });
}

const rejecting = (error: unknown) => new PushOnlyEngine(() => Promise.reject(error));

async function pushFailure(engine: ContainerEngine, repository: string, env: NodeJS.ProcessEnv): Promise<BuildError> {
  // No wait between the retries of an unreachable registry: test/outage/registry-down.test.ts covers them.
  return buildErrorOf(pushImage(engine, repository, 'abc123', env, { retryDelayMs: 0 }));
}

describe('registry/push-image', () => {
  let configDir: string;
  let anonymous: NodeJS.ProcessEnv;
  let withCredentials: NodeJS.ProcessEnv;

  beforeEach(async () => {
    configDir = await mkdtemp(join(tmpdir(), 's2i-bot-push-image-test-'));
    anonymous = { DOCKER_CONFIG: join(configDir, 'empty') };
    withCredentials = { DOCKER_CONFIG: configDir };
    const auth = Buffer.from('robot:s3cret').toString('base64');
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ auths: { 'registry.example.com:5000': { auth } } }));
  });

  afterEach(async () => {
    await rm(configDir, { recursive: true, force: true });
  });

  it('pushes with the credentials of the registry and returns the digest and the pinned reference', async () => {
    const engine = new PushOnlyEngine(() => Promise.resolve({ digest: DIGEST }));

    const result = await pushImage(engine, 'registry.example.com:5000/acme/hello', 'abc123', withCredentials);

    expect(result).toEqual({
      registry: 'registry.example.com:5000',
      reference: 'registry.example.com:5000/acme/hello:abc123',
      digest: DIGEST,
      pinned: `registry.example.com:5000/acme/hello@${DIGEST}`,
    });
    expect(engine.pushes).toEqual([
      {
        repository: 'registry.example.com:5000/acme/hello',
        tag: 'abc123',
        auth: { username: 'robot', password: 's3cret', serveraddress: 'registry.example.com:5000' },
      },
    ]);
  });

  it('pushes anonymously when the config has no credentials for the registry', async () => {
    const engine = new PushOnlyEngine(() => Promise.resolve({ digest: DIGEST }));

    const result = await pushImage(engine, 'acme/hello', 'v1', withCredentials);

    expect(result.registry).toBe('docker.io');
    expect(result.pinned).toBe(`acme/hello@${DIGEST}`);
    expect(engine.pushes[0].auth).toBeUndefined();
  });

  it('explains refused credentials, naming the registry and the config file', async () => {
    const engine = rejecting(dockerodeError('unauthorized: authentication required', 401));

    const error = await pushFailure(engine, 'registry.example.com:5000/acme/hello', withCredentials);

    expect(error.step).toBe('push');
    expect(error.reason).toBe('registry registry.example.com:5000 refused the credentials: unauthorized: authentication required');
    expect(error.hint).toBe(
      `correct the credentials for registry.example.com:5000 in ${join(configDir, 'config.json')} (docker login registry.example.com:5000)`,
    );
    expect(error.message).toBe(`push failed: ${error.reason}`);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('asks for credentials when an anonymous push is refused', async () => {
    const engine = rejecting(dockerodeError('no basic auth credentials'));

    const error = await pushFailure(engine, 'ghcr.io/acme/hello', anonymous);

    expect(error.step).toBe('push');
    expect(error.reason).toBe('registry ghcr.io refused the anonymous push: no basic auth credentials');
    expect(error.hint).toBe(`add credentials for ghcr.io to ${join(configDir, 'empty', 'config.json')} (docker login ghcr.io)`);
  });

  it('treats an HTTP 401 status in the message as refused credentials', async () => {
    const engine = rejecting(dockerodeError('(HTTP code 401) unexpected - ', 401));

    const error = await pushFailure(engine, 'ghcr.io/acme/hello', anonymous);

    expect(error.reason).toMatch(/^registry ghcr\.io refused the anonymous push/);
  });

  it('explains a denied push', async () => {
    const engine = rejecting(dockerodeError('denied: requested access to the resource is denied', 403));

    const error = await pushFailure(engine, 'registry.example.com:5000/acme/hello', withCredentials);

    expect(error.step).toBe('push');
    expect(error.reason).toBe('registry registry.example.com:5000 denied the push: denied: requested access to the resource is denied');
    expect(error.hint).toContain('push access to the repository on registry.example.com:5000');
  });

  it.each([
    'Get "https://registry.example.com:5000/v2/": dial tcp 10.0.0.5:5000: connect: connection refused',
    'Get "https://registry.example.com:5000/v2/": dial tcp: lookup registry.example.com: no such host',
    'net/http: request canceled while waiting for connection (Client.Timeout exceeded) i/o timeout',
  ])('explains an unreachable registry (%s)', async (message) => {
    const engine = rejecting(dockerodeError(message, 500));

    const error = await pushFailure(engine, 'registry.example.com:5000/acme/hello', withCredentials);

    expect(error.step).toBe('push');
    expect(error.reason).toBe(`registry registry.example.com:5000 is unreachable: ${message}`);
    expect(error.hint).toBe('check that registry.example.com:5000 is up and reachable from the Docker engine');
  });

  it('reports any other failure with the registry name', async () => {
    const cause = dockerodeError('(HTTP code 500) server error - manifest invalid', 500);
    const engine = rejecting(cause);

    const error = await pushFailure(engine, 'quay.io/acme/hello', anonymous);

    expect(error.step).toBe('push');
    expect(error.reason).toBe('pushing to registry quay.io failed: (HTTP code 500) server error - manifest invalid');
    expect(error.hint).toBe('check the registry quay.io and retry');
    expect(error.cause).toBe(cause);
  });

  it('copes with a rejection that is not an Error', async () => {
    const engine = rejecting('connection refused');

    const error = await pushFailure(engine, 'quay.io/acme/hello', anonymous);

    expect(error.reason).toBe('registry quay.io is unreachable: connection refused');
  });

  it('copes with a rejection without any value', async () => {
    const engine = rejecting(null);

    const error = await pushFailure(engine, 'quay.io/acme/hello', anonymous);

    expect(error.reason).toBe('pushing to registry quay.io failed: null');
  });

  it('turns an unreadable docker config into a push error without pushing', async () => {
    await writeFile(join(configDir, 'config.json'), 'not json');
    const engine = new PushOnlyEngine(() => Promise.resolve({ digest: DIGEST }));

    const error = await pushFailure(engine, 'ghcr.io/acme/hello', withCredentials);

    expect(error.step).toBe('push');
    expect(error.reason).toContain(`${join(configDir, 'config.json')} could not be read as JSON`);
    expect(error.hint).toBe(`fix ${join(configDir, 'config.json')}`);
    expect(engine.pushes).toEqual([]);
  });

  it('refuses an invalid repository before pushing', async () => {
    const engine = new PushOnlyEngine(() => Promise.resolve({ digest: DIGEST }));

    const attempt = pushImage(engine, 'Not/Valid', 'v1', anonymous);

    await expect(attempt).rejects.toThrow('"Not/Valid" is not a valid image repository');
    expect(engine.pushes).toEqual([]);
  });
});
