import { describe, expect, it } from '@jest/globals';
import { BUILD_CONTAINER_PREFIX } from '../../src/build/script-container.js';
import type { ContainerSummary } from '../../src/docker/container-engine.js';
import { removeOrphanContainers } from '../../src/store/remove-orphan-containers.js';
import { UnusedEngine } from '../support/unused-engine.js';

const MINE = '0123456789ab';
const OTHER = 'ba9876543210';

/** An engine with some containers; it lists them by name prefix and removes them, refusing the ids in `stuck`. */
class ListingEngine extends UnusedEngine {
  readonly removed: string[] = [];

  constructor(
    private readonly containers: ContainerSummary[],
    private readonly stuck: string[] = [],
  ) {
    super('removeOrphanContainers');
  }

  override async listContainers(namePrefix: string): Promise<ContainerSummary[]> {
    return this.containers.filter((container) => container.name.startsWith(namePrefix));
  }

  override async removeContainer(containerId: string): Promise<void> {
    if (this.stuck.includes(containerId)) throw Object.assign(new Error('removal of container is already in progress'), { statusCode: 500 });
    this.removed.push(containerId);
  }
}

const container = (id: string, name: string): ContainerSummary => ({ id, name, state: 'running', created: 1_700_000_000 });

describe('src/store/remove-orphan-containers', () => {
  it("removes this instance's build containers whose run is not running here, and nothing else", async () => {
    const engine = new ListingEngine([
      container('crashed', `${BUILD_CONTAINER_PREFIX}aaa-11111111.run-3.${MINE}`),
      container('running', `${BUILD_CONTAINER_PREFIX}bbb-22222222.run-4.${MINE}`),
      container('other-instance', `${BUILD_CONTAINER_PREFIX}ccc-33333333.run-3.${OTHER}`),
      container('no-owner', `${BUILD_CONTAINER_PREFIX}ddd-44444444`),
      container('user-app', 'hello-production'),
    ]);

    const removed = await removeOrphanContainers(engine, { instance: MINE, isRunning: (runId) => runId === 4 });

    expect(removed).toEqual([{ ...container('crashed', `${BUILD_CONTAINER_PREFIX}aaa-11111111.run-3.${MINE}`), runId: 3 }]);
    expect(engine.removed).toEqual(['crashed']);
  });

  it('goes on past a container that cannot be removed', async () => {
    const engine = new ListingEngine(
      [container('stuck', `${BUILD_CONTAINER_PREFIX}aaa-11111111.run-1.${MINE}`), container('next', `${BUILD_CONTAINER_PREFIX}bbb-22222222.run-2.${MINE}`)],
      ['stuck'],
    );

    const removed = await removeOrphanContainers(engine, { instance: MINE, isRunning: () => false });

    expect(removed.map((entry) => entry.id)).toEqual(['next']);
  });
});
