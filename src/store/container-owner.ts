import { BUILD_CONTAINER_PREFIX } from '../build/script-container.js';
import type { ContainerEngine } from '../docker/container-engine.js';

/**
 * The run a build container belongs to. It is written into the container's name, not a label: a commit copies
 * the container's labels into the image, and so into every container later run from it.
 */
export interface ContainerOwner {
  /** The data directory's instance id (`RunStore.instance`): 12 hex digits. */
  instance: string;
  /** The run's id in the store. */
  runId: number;
}

const OWNER_SUFFIX = /\.run-(\d+)\.([0-9a-f]{12})$/;

/**
 * The engine as one run uses it: every build container it creates is named
 * `<build container name>.run-<run id>.<instance>`, so `removeOrphanContainers` can tell whose it is after a
 * crash. Every other call goes to `engine` unchanged.
 */
export function ownedEngine(engine: ContainerEngine, owner: ContainerOwner): ContainerEngine {
  if (!/^[0-9a-f]{12}$/.test(owner.instance) || !Number.isSafeInteger(owner.runId) || owner.runId < 0) {
    throw new TypeError(`not a container owner: instance "${owner.instance}", run ${owner.runId}`);
  }
  // A proxy rather than a wrapper class, so a method added to ContainerEngine later cannot bypass the engine.
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'createContainer') {
        return (spec: Parameters<ContainerEngine['createContainer']>[0]) =>
          target.createContainer(spec.name.startsWith(BUILD_CONTAINER_PREFIX) ? { ...spec, name: `${spec.name}.run-${owner.runId}.${owner.instance}` } : spec);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The owner a build container's name records; undefined for other containers and unowned build containers. */
export function containerOwnerOf(name: string): ContainerOwner | undefined {
  if (!name.startsWith(BUILD_CONTAINER_PREFIX)) return undefined;
  const match = OWNER_SUFFIX.exec(name);
  return match ? { runId: Number(match[1]), instance: match[2] } : undefined;
}
