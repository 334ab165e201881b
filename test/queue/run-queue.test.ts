import { RunQueue } from '../../src/queue/run-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('queue/run-queue', () => {
  it('runs at most `concurrency` tasks at once, in arrival order', async () => {
    const queue = new RunQueue({ concurrency: 2, onError: () => {} });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];

    gates.forEach((gate, index) => queue.add(`k${index}`, async () => (started.push(index), gate.promise)));
    await Promise.resolve();
    const startedWhileTwoRun = [...started];
    gates[0].resolve();
    await new Promise((resolve) => setImmediate(resolve));

    expect(startedWhileTwoRun).toEqual([0, 1]);
    expect(started).toEqual([0, 1, 2]);
    gates[1].resolve();
    gates[2].resolve();
    await queue.onIdle();
    expect(queue.size).toBe(0);
  });

  it('refuses a key it has seen, queued, running or done', async () => {
    const queue = new RunQueue({ concurrency: 1, onError: () => {} });
    let runs = 0;

    const first = queue.add('delivery:1', async () => void (runs += 1));
    const again = queue.add('delivery:1', async () => void (runs += 1));
    await queue.onIdle();
    const afterDone = queue.add('delivery:1', async () => void (runs += 1));

    expect([first, again, afterDone]).toEqual([true, false, false]);
    expect(runs).toBe(1);
  });

  it('claims a key once', () => {
    const queue = new RunQueue({ concurrency: 1, onError: () => {} });

    expect([queue.claim('acme/hello@abc#production'), queue.claim('acme/hello@abc#production'), queue.claim('acme/hello@abc#staging')]).toEqual([true, false, true]);
  });

  it('reports a task that throws and goes on with the next', async () => {
    const errors: Array<[string, string]> = [];
    const queue = new RunQueue({ concurrency: 1, onError: (error, key) => errors.push([key, (error as Error).message]) });
    let ranAfter = false;

    queue.add('bad', async () => {
      throw new Error('boom');
    });
    queue.add('good', async () => void (ranAfter = true));
    await queue.onIdle();

    expect(errors).toEqual([['bad', 'boom']]);
    expect(ranAfter).toBe(true);
  });

  it('refuses a concurrency below 1', () => {
    expect(() => new RunQueue({ concurrency: 0, onError: () => {} })).toThrow('concurrency must be a positive integer, got 0');
  });
});

describe('queue/run-queue: tracked work', () => {
  it('waits in onIdle for tracked work and for the runs it adds', async () => {
    const queue = new RunQueue({ concurrency: 1, onError: () => {} });
    const gate = deferred();
    const events: string[] = [];

    queue.track(
      gate.promise.then(() => {
        events.push('tracked done');
        queue.add('run', async () => void events.push('run'));
      }),
    );
    const idle = queue.onIdle().then(() => events.push('idle'));
    await new Promise((resolve) => setImmediate(resolve));
    const beforeRelease = [...events];
    gate.resolve();
    await idle;

    expect(beforeRelease).toEqual([]);
    expect(events).toEqual(['tracked done', 'run', 'idle']);
  });
});
