import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { BuildError } from '../../src/build/build-error.js';
import { pushImage } from '../../src/registry/push-image.js';
import { buildErrorOf } from '../support/rejection.js';
import { UnusedEngine } from '../support/unused-engine.js';

const REPOSITORY = 'registry.example.com:5000/acme/hello';
const DIGEST = `sha256:${'4b'.repeat(32)}`;
const REFUSED = 'Get "https://registry.example.com:5000/v2/": dial tcp 10.0.0.5:5000: connect: connection refused';
const ENV = { DOCKER_CONFIG: '/nonexistent' };

/** An engine that can only push, answering each push with the next outcome of the list. */
class ScriptedPushEngine extends UnusedEngine {
  pushes = 0;

  constructor(private readonly outcomes: Array<string | 'ok'>) {
    super('pushImage');
  }

  override async pushImage(): Promise<{ digest: string }> {
    const outcome = this.outcomes[Math.min(this.pushes, this.outcomes.length - 1)];
    this.pushes += 1;
    if (outcome === 'ok') return { digest: DIGEST };
    throw Object.assign(new Error(outcome), { statusCode: 500 });
  }
}

describe('outage: the registry is down (registry/push-image)', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('tries 3 times, 1 s and then 2 s apart, and then fails naming the registry', async () => {
    jest.useFakeTimers();
    const engine = new ScriptedPushEngine([REFUSED]);
    const retries: Array<[number, number]> = [];
    let announce: () => void = () => undefined;
    const nextRetry = () => new Promise<void>((resolve) => (announce = resolve));
    let retry = nextRetry();

    const failing = buildErrorOf(
      pushImage(engine, REPOSITORY, 'abc123', ENV, {
        onRetry: (_failure, attempt, delayMs) => {
          retries.push([attempt, delayMs]);
          announce();
        },
      }),
    );
    await retry;
    retry = nextRetry();
    await jest.advanceTimersByTimeAsync(999);
    const triesWithin999ms = engine.pushes;
    await jest.advanceTimersByTimeAsync(1);
    await retry;
    await jest.advanceTimersByTimeAsync(1999);
    const triesWithin2999ms = engine.pushes;
    await jest.advanceTimersByTimeAsync(1);
    const error = await failing;

    expect([triesWithin999ms, triesWithin2999ms, engine.pushes]).toEqual([1, 2, 3]);
    expect(retries).toEqual([
      [1, 1000],
      [2, 2000],
    ]);
    expect(error.step).toBe('push');
    expect(error.reason).toBe(`registry registry.example.com:5000 is unreachable: ${REFUSED}`);
    expect(error.hint).toBe('check that registry.example.com:5000 is up and reachable from the Docker engine');
  });

  it('pushes once the registry answers again before the last try', async () => {
    const engine = new ScriptedPushEngine([REFUSED, 'Get "https://registry.example.com:5000/v2/": EOF', 'ok']);
    const told: BuildError[] = [];

    const result = await pushImage(engine, REPOSITORY, 'abc123', ENV, { retryDelayMs: 1, onRetry: (failure) => told.push(failure) });

    expect(result).toEqual({ registry: 'registry.example.com:5000', reference: `${REPOSITORY}:abc123`, digest: DIGEST, pinned: `${REPOSITORY}@${DIGEST}` });
    expect(engine.pushes).toBe(3);
    expect(told.map((failure) => failure.reason)).toEqual([
      `registry registry.example.com:5000 is unreachable: ${REFUSED}`,
      'registry registry.example.com:5000 is unreachable: Get "https://registry.example.com:5000/v2/": EOF',
    ]);
  });

  it.each([
    ['refused credentials', 'unauthorized: authentication required', 'registry registry.example.com:5000 refused the anonymous push'],
    ['a denied push', 'denied: requested access to the resource is denied', 'registry registry.example.com:5000 denied the push'],
    ['another failure', 'manifest invalid', 'pushing to registry registry.example.com:5000 failed'],
  ])('does not retry %s: the registry answered', async (_case, message, reason) => {
    const engine = new ScriptedPushEngine([message]);

    const error = await buildErrorOf(pushImage(engine, REPOSITORY, 'abc123', ENV, { retryDelayMs: 1 }));

    expect(engine.pushes).toBe(1);
    expect(error.reason).toBe(`${reason}: ${message}`);
  });

  it('takes the number of tries it is given', async () => {
    const engine = new ScriptedPushEngine([REFUSED]);

    await buildErrorOf(pushImage(engine, REPOSITORY, 'abc123', ENV, { attempts: 5, retryDelayMs: 1 }));

    expect(engine.pushes).toBe(5);
  });
});
