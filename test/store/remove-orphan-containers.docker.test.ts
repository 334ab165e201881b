import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BUILD_CONTAINER_PREFIX, buildContainerName, scriptContainerSpec } from '../../src/build/script-container.js';
import { ownedEngine, type ContainerOwner } from '../../src/store/container-owner.js';
import { removeOrphanContainers } from '../../src/store/remove-orphan-containers.js';
import { RunStore } from '../../src/store/run-store.js';
import { BASE_BUSYBOX, docker, engine, testSettings, uniqueTag } from '../support/docker.js';

jest.setTimeout(60_000);

const TAG = uniqueTag();
const created: string[] = [];

/** Starts a build container of `owner` that would run for minutes, as a build's assemble does. */
async function runningBuildContainer(owner: ContainerOwner): Promise<string> {
  const spec = scriptContainerSpec(testSettings(), { name: buildContainerName(TAG), image: BASE_BUSYBOX, command: ['sleep', '300'], user: '', env: [] });
  const id = await ownedEngine(engine, owner).createContainer(spec);
  created.push(id);
  await docker.getContainer(id).start();
  return id;
}

/** Ids of the build containers of this test file still on the engine. */
async function remaining(): Promise<string[]> {
  return (await engine.listContainers(`${BUILD_CONTAINER_PREFIX}${TAG}-`)).map((container) => container.id).sort();
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's2i-bot-orphans-'));
});

afterAll(async () => {
  for (const id of created) await engine.removeContainer(id);
  await rm(dir, { recursive: true, force: true });
});

describe('src/store/remove-orphan-containers (real engine)', () => {
  it('after a restart, removes the running build container of the interrupted run and keeps the current run and other instances', async () => {
    const path = join(dir, 's2i-bot.db');
    const crashed = RunStore.open({ path });
    const interruptedRun = crashed.claimRun({ repo: 'acme/hello', sha: 'a'.repeat(40), environment: 'production', kind: 'push' });
    if (!interruptedRun.claimed) throw new Error('the first run was refused');
    crashed.advance(interruptedRun.run.id, 'building');
    const orphan = await runningBuildContainer({ instance: crashed.instance, runId: interruptedRun.run.id });
    // The process dies here: the run is never finished and its container keeps running.
    crashed.close();
    const restarted = RunStore.open({ path });
    const currentRun = restarted.claimRun({ repo: 'acme/hello', sha: 'b'.repeat(40), environment: 'production', kind: 'push' });
    if (!currentRun.claimed) throw new Error('the second run was refused');
    const current = await runningBuildContainer({ instance: restarted.instance, runId: currentRun.run.id });
    const otherInstance = await runningBuildContainer({ instance: 'ffffffffffff', runId: interruptedRun.run.id });

    try {
      const removed = await removeOrphanContainers(engine, restarted);

      expect(removed.map((container) => [container.id, container.runId, container.state])).toEqual([[orphan, interruptedRun.run.id, 'running']]);
      expect(await remaining()).toEqual([current, otherInstance].sort());
      expect(restarted.interrupted().map((run) => run.id)).toEqual([interruptedRun.run.id]);
    } finally {
      restarted.close();
    }
  });
});
