import { BUILD_CONTAINER_PREFIX } from '../build/script-container.js';
import type { ContainerEngine, ContainerSummary } from '../docker/container-engine.js';
import { containerOwnerOf } from './container-owner.js';

/** Who may keep build containers: this data directory's instance, and which of its runs this process runs. */
export interface ContainerKeeper {
  /** `RunStore.instance`. */
  readonly instance: string;
  /** `RunStore.isRunning`: the run is live in this process. */
  isRunning(runId: number): boolean;
}

/** A build container that was removed, and the run it belonged to. */
export interface RemovedContainer extends ContainerSummary {
  runId: number;
}

/**
 * Removes the build containers of this instance whose run is not running in this process: what a crashed or
 * killed bot left behind (a build container is otherwise always removed by its build). Containers of other
 * instances (another bot on the same engine) and build containers without an owner are left alone. A container
 * that cannot be removed is skipped (and found again next time); an unreachable engine throws.
 */
export async function removeOrphanContainers(engine: ContainerEngine, keeper: ContainerKeeper): Promise<RemovedContainer[]> {
  const removed: RemovedContainer[] = [];
  for (const container of await engine.listContainers(BUILD_CONTAINER_PREFIX)) {
    const owner = containerOwnerOf(container.name);
    if (!owner || owner.instance !== keeper.instance || keeper.isRunning(owner.runId)) continue;
    try {
      await engine.removeContainer(container.id);
      removed.push({ ...container, runId: owner.runId });
    } catch {
      // Left for the next sweep; one stuck container must not keep the others.
    }
  }
  return removed;
}
