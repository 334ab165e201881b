import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RunStore, type NewRun, type Run } from '../../src/store/run-store.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);
const SHA_C = 'c'.repeat(40);
const DAY = 24 * 60 * 60 * 1000;

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2025, 0, 1)) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const push = (sha: string, overrides: Partial<NewRun> = {}): NewRun => ({
  repo: 'acme/hello',
  sha,
  environment: 'production',
  branch: 'main',
  kind: 'push',
  installationId: 42,
  deliveryId: `delivery-${sha.slice(0, 4)}`,
  ...overrides,
});

/** Claims a run that must be granted, and returns it. */
function claimed(store: RunStore, input: NewRun): Run {
  const claim = store.claimRun(input);
  if (!claim.claimed) throw new Error(`the claim of ${input.sha} was refused: run ${claim.existing.id} holds the key`);
  return claim.run;
}

describe('src/store/run-store', () => {
  let clock: ReturnType<typeof manualClock>;
  let store: RunStore;

  beforeEach(() => {
    clock = manualClock();
    store = RunStore.open({ path: ':memory:', now: clock.now });
  });

  afterEach(() => store.close());

  describe('deliveries', () => {
    it('marks a delivery id true the first time only', () => {
      const first = store.markDelivery('72d3162e-cc78-11e3-81ab-4c9367dc0958', 'push');
      const again = store.markDelivery('72d3162e-cc78-11e3-81ab-4c9367dc0958', 'push');
      const other = store.markDelivery('8a7f0e1c-cc78-11e3-81ab-4c9367dc0958', 'push');

      expect([first, again, other]).toEqual([true, false, true]);
    });

    it('refuses a delivery already recorded by another connection to the same database', async () => {
      const dir = await mkdtemp(join(tmpdir(), 's2i-bot-store-'));
      const one = RunStore.open({ path: join(dir, 'data', 's2i-bot.db') });
      const two = RunStore.open({ path: join(dir, 'data', 's2i-bot.db') });
      try {
        const answers = ['d-1', 'd-2', 'd-3'].flatMap((id) => [one.markDelivery(id, 'push'), two.markDelivery(id, 'push')]);

        expect(answers).toEqual([true, false, true, false, true, false]);
      } finally {
        one.close();
        two.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('forgets deliveries older than the retention, so only those are seen as new again', () => {
      store.close();
      store = RunStore.open({ path: ':memory:', now: clock.now, deliveryRetentionDays: 3 });
      store.markDelivery('old', 'push');
      clock.advance(2 * DAY);
      store.markDelivery('recent', 'push');
      clock.advance(1 * DAY + 1);

      const pruned = store.prune();

      expect(pruned.deliveries).toBe(1);
      expect(store.markDelivery('old', 'push')).toBe(true);
      expect(store.markDelivery('recent', 'push')).toBe(false);
    });
  });

  describe('claiming runs', () => {
    it('creates a queued run with everything it was given, in this session', () => {
      const claim = store.claimRun(push(SHA_A, { commentId: 7 }));

      expect(claim).toEqual({
        claimed: true,
        run: {
          id: 1,
          repo: 'acme/hello',
          sha: SHA_A,
          environment: 'production',
          branch: 'main',
          kind: 'push',
          state: 'queued',
          installationId: 42,
          deliveryId: 'delivery-aaaa',
          commentId: 7,
          session: store.session,
          createdAt: clock.now(),
          updatedAt: clock.now(),
        },
      });
      expect(store.get(1)).toEqual(claim.claimed && claim.run);
    });

    it('refuses a second live run of the same repo, commit and environment, naming the one that holds it', () => {
      const first = claimed(store, push(SHA_A));

      const second = store.claimRun(push(SHA_A, { kind: 'command', branch: undefined, repo: 'ACME/Hello' }));

      expect(second).toEqual({ claimed: false, existing: first });
      expect(store.inFlight()).toEqual([first]);
    });

    it('lets the same commit run for another environment, and a build without environment once', () => {
      claimed(store, push(SHA_A));

      const staging = store.claimRun(push(SHA_A, { environment: 'staging' }));
      const buildOnly = store.claimRun(push(SHA_A, { environment: undefined, kind: 'pr' }));
      const buildOnlyAgain = store.claimRun(push(SHA_A, { environment: undefined, kind: 'pr' }));

      expect([staging.claimed, buildOnly.claimed, buildOnlyAgain.claimed]).toEqual([true, true, false]);
    });

    it('runs a key again once its run has ended, unless asked to run it once', () => {
      const first = claimed(store, push(SHA_A));
      store.finish(first.id, 'failed', { error: 'assemble failed' });

      const once = store.claimRun(push(SHA_A), { once: true });
      const rebuild = store.claimRun(push(SHA_A, { kind: 'command' }));

      expect(once).toEqual({ claimed: false, existing: expect.objectContaining({ id: first.id, state: 'failed' }) });
      expect(rebuild).toEqual({ claimed: true, run: expect.objectContaining({ id: 2, kind: 'command', state: 'queued' }) });
    });
  });

  describe('advancing and finishing', () => {
    it('records each phase and its fields, keeping what an earlier call recorded', () => {
      const run = claimed(store, push(SHA_A));
      clock.advance(1000);

      store.advance(run.id, 'building', { buildCheckRunId: 101 });
      store.advance(run.id, 'pushing');
      store.advance(run.id, 'deploying', { image: `registry.example.com/acme/hello@sha256:${'d'.repeat(64)}`, imageDigest: `sha256:${'d'.repeat(64)}`, deployCheckRunId: 102 });
      clock.advance(1000);
      const done = store.finish(run.id, 'done', { configCommit: SHA_C, deployed: true });

      expect(done).toEqual({
        ...run,
        state: 'done',
        buildCheckRunId: 101,
        deployCheckRunId: 102,
        image: `registry.example.com/acme/hello@sha256:${'d'.repeat(64)}`,
        imageDigest: `sha256:${'d'.repeat(64)}`,
        configCommit: SHA_C,
        deployedAt: clock.now(),
        updatedAt: clock.now(),
      });
    });

    it('lets the first end win: a run cancelled meanwhile is neither advanced nor finished again', () => {
      const run = claimed(store, push(SHA_A));
      store.advance(run.id, 'building');
      store.finish(run.id, 'cancelled', { error: `superseded by ${SHA_B}` });

      const advanced = store.advance(run.id, 'pushing', { imageDigest: 'sha256:0' });
      const finished = store.finish(run.id, 'done', { deployed: true });

      expect([advanced, finished]).toEqual([undefined, undefined]);
      expect(store.get(run.id)).toEqual(expect.objectContaining({ state: 'cancelled', error: `superseded by ${SHA_B}` }));
      expect(store.get(run.id)).not.toHaveProperty('deployedAt');
    });

    it('refuses a final state in advance() and a live one in finish()', () => {
      const run = claimed(store, push(SHA_A));

      expect(() => store.advance(run.id, 'done' as 'building')).toThrow('advance() takes a live state, got "done"; use finish()');
      expect(() => store.finish(run.id, 'building' as 'done')).toThrow('finish() takes a final state, got "building"; use advance()');
      expect(store.get(run.id)?.state).toBe('queued');
    });

    it('answers undefined for a run it does not know', () => {
      expect([store.get(99), store.advance(99, 'building'), store.finish(99, 'failed')]).toEqual([undefined, undefined, undefined]);
    });
  });

  describe('crash recovery', () => {
    it('lists live runs; after a restart they are interrupted until one is adopted, and ended ones are not listed', async () => {
      const dir = await mkdtemp(join(tmpdir(), 's2i-bot-store-'));
      const path = join(dir, 's2i-bot.db');
      const before = RunStore.open({ path });
      const building = claimed(before, push(SHA_A));
      before.advance(building.id, 'building', { buildCheckRunId: 5 });
      const queued = claimed(before, push(SHA_B));
      const done = claimed(before, push(SHA_C));
      before.finish(done.id, 'done');
      const inFlightBefore = before.inFlight().map((run) => run.id);
      before.close();

      const after = RunStore.open({ path });
      try {
        const interrupted = after.interrupted();
        const adopted = after.adopt(queued.id);

        expect(inFlightBefore).toEqual([building.id, queued.id]);
        expect(interrupted).toEqual([expect.objectContaining({ id: building.id, state: 'building', buildCheckRunId: 5 }), expect.objectContaining({ id: queued.id, state: 'queued' })]);
        expect(adopted?.session).toBe(after.session);
        expect(after.interrupted().map((run) => run.id)).toEqual([building.id]);
        expect([after.isRunning(queued.id), after.isRunning(building.id), after.isRunning(done.id)]).toEqual([true, false, false]);
        expect(after.adopt(done.id)).toBeUndefined();
        expect(after.instance).toBe(before.instance);
        expect(after.session).not.toBe(before.session);
      } finally {
        after.close();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('keeps the database in WAL mode in the data directory it creates', async () => {
      const dir = await mkdtemp(join(tmpdir(), 's2i-bot-store-'));
      const path = join(dir, 'nested', 'data', 's2i-bot.db');
      const opened = RunStore.open({ path });
      try {
        claimed(opened, push(SHA_A));

        expect((await stat(path)).isFile()).toBe(true);
        expect((await stat(`${path}-wal`)).isFile()).toBe(true);
      } finally {
        opened.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('supersede and the order of deploys', () => {
    it('lists older live runs of another commit on the same branch and environment as superseded, not deploying or ended ones', () => {
      const queued = claimed(store, push(SHA_A));
      const building = claimed(store, push(SHA_B));
      store.advance(building.id, 'building');
      const deploying = claimed(store, push('d'.repeat(40)));
      store.advance(deploying.id, 'deploying');
      const failed = claimed(store, push('e'.repeat(40)));
      store.finish(failed.id, 'failed');
      claimed(store, push('f'.repeat(40), { branch: 'release/1' }));
      claimed(store, push('1'.repeat(40), { environment: 'staging' }));
      claimed(store, push('2'.repeat(40), { repo: 'acme/other' }));
      const newer = claimed(store, push(SHA_C));

      const superseded = store.superseded(newer);

      expect(superseded.map((run) => [run.id, run.state])).toEqual([
        [queued.id, 'queued'],
        [building.id, 'building'],
      ]);
    });

    it('goes by the order runs were claimed in: a run supersedes only runs claimed before it', () => {
      const first = claimed(store, push(SHA_A));
      const second = claimed(store, push(SHA_B));

      expect(store.superseded(first)).toEqual([]);
      expect(store.superseded(second).map((run) => run.id)).toEqual([first.id]);
    });

    it('knows the newest run of an environment and the run whose image it runs now', () => {
      const first = claimed(store, push(SHA_A));
      store.finish(first.id, 'done', { deployed: true, imageDigest: 'sha256:1', configCommit: SHA_C });
      clock.advance(1000);
      const second = claimed(store, push(SHA_B));
      store.finish(second.id, 'failed', { error: 'assemble failed' });

      expect(store.latestFor('acme/hello', 'production')?.id).toBe(second.id);
      expect(store.lastDeployed('Acme/Hello', 'production')).toEqual(expect.objectContaining({ id: first.id, sha: SHA_A, imageDigest: 'sha256:1', configCommit: SHA_C }));
      expect(store.lastDeployed('acme/hello', 'staging')).toBeUndefined();
      expect(store.latestFor('acme/hello', 'staging')).toBeUndefined();
    });

    it('says an older run was overtaken once a newer run has deployed to its environment', () => {
      const older = claimed(store, push(SHA_A));
      const newer = claimed(store, push(SHA_B));
      const otherEnvironment = claimed(store, push(SHA_C, { environment: 'staging' }));

      const beforeNewerDeployed = store.overtakenBy(older.id);
      store.finish(newer.id, 'done', { deployed: true });
      store.finish(otherEnvironment.id, 'done', { deployed: true });

      expect(beforeNewerDeployed).toBeUndefined();
      expect(store.overtakenBy(older.id)?.id).toBe(newer.id);
      expect(store.overtakenBy(newer.id)).toBeUndefined();
    });
  });

  describe('pruning runs', () => {
    it('forgets old finished runs but keeps live ones and the last deployed run of each environment', () => {
      store.close();
      store = RunStore.open({ path: ':memory:', now: clock.now, runRetentionDays: 30 });
      const deployedLongAgo = claimed(store, push(SHA_A));
      store.finish(deployedLongAgo.id, 'done', { deployed: true });
      const failedLongAgo = claimed(store, push(SHA_B));
      store.finish(failedLongAgo.id, 'failed');
      const stillQueued = claimed(store, push(SHA_C));
      const stagingOld = claimed(store, push(SHA_A, { environment: 'staging' }));
      store.finish(stagingOld.id, 'done', { deployed: true });
      clock.advance(DAY);
      const stagingNewer = claimed(store, push(SHA_B, { environment: 'staging' }));
      store.finish(stagingNewer.id, 'done', { deployed: true });
      clock.advance(31 * DAY);

      const pruned = store.prune();

      expect(pruned.runs).toBe(2);
      expect([deployedLongAgo, failedLongAgo, stillQueued, stagingOld, stagingNewer].map((run) => store.get(run.id) !== undefined)).toEqual([true, false, true, false, true]);
    });
  });
});
