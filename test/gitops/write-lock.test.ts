import { describe, expect, it } from '@jest/globals';
import { busyWriteLocks, withWriteLock } from '../../src/gitops/write-lock.js';

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('src/gitops/write-lock', () => {
  it('never lets two writers of the same key overlap, and runs them in call order', async () => {
    const events: string[] = [];
    let inside = 0;
    let most = 0;
    const writer = (name: string) =>
      withWriteLock('acme/cluster-config#main', async () => {
        inside += 1;
        most = Math.max(most, inside);
        events.push(`start ${name}`);
        await tick();
        await tick();
        events.push(`end ${name}`);
        inside -= 1;
        return name;
      });

    const results = await Promise.all(['a', 'b', 'c', 'd', 'e'].map(writer));

    expect(results).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(most).toBe(1);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'start d', 'end d', 'start e', 'end e']);
  });

  it('runs writers of different keys concurrently', async () => {
    const first = gate();
    const events: string[] = [];

    const main = withWriteLock('acme/cluster-config#main', async () => {
      events.push('main started');
      await first.promise;
      events.push('main done');
    });
    const staging = withWriteLock('acme/cluster-config#staging', async () => {
      events.push('staging ran');
    });
    await staging;
    first.open();
    await main;

    expect(events).toEqual(['main started', 'staging ran', 'main done']);
  });

  it('releases the key when a writer throws, passing the error to its caller only', async () => {
    const failing = withWriteLock('k', async () => {
      throw new Error('boom');
    });
    const next = withWriteLock('k', async () => 'ran');

    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe('ran');
  });

  it('forgets a key once nobody holds or waits for it', async () => {
    const hold = gate();

    const held = withWriteLock('idle-test', () => hold.promise);
    const waiting = withWriteLock('idle-test', async () => undefined);
    const busy = busyWriteLocks();
    hold.open();
    await Promise.all([held, waiting]);

    expect(busy).toContain('idle-test');
    expect(busyWriteLocks()).not.toContain('idle-test');
  });
});
