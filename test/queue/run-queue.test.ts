import { RunQueue } from '../../src/queue/run-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('queue/run-queue', () => {
  it('runs at most `concurrency` tasks at once, in arrival order', async () => {
    const queue = new RunQueue({ concurrency: 2 });
    const gates = [deferred(), deferred(), deferred()];
    const started: number[] = [];

    gates.forEach((gate, index) => void queue.slot(async () => (started.push(index), gate.promise)));
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

  it('settles with what the task resolved or threw, and goes on with the next', async () => {
    const queue = new RunQueue({ concurrency: 1 });

    const bad = queue.slot(async () => {
      throw new Error('boom');
    });
    const good = queue.slot(async () => 'built');

    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBe('built');
    await queue.onIdle();
    expect(queue.size).toBe(0);
  });

  it('refuses a concurrency below 1', () => {
    expect(() => new RunQueue({ concurrency: 0 })).toThrow('concurrency must be a positive integer, got 0');
  });
});

describe('queue/run-queue: tracked work', () => {
  it('waits in onIdle for tracked work and for the runs it adds', async () => {
    const queue = new RunQueue({ concurrency: 1 });
    const gate = deferred();
    const events: string[] = [];

    queue.track(
      gate.promise.then(() => {
        events.push('tracked done');
        void queue.slot(async () => void events.push('run'));
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
