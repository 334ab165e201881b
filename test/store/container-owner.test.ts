import { describe, expect, it } from '@jest/globals';
import { BUILD_CONTAINER_PREFIX } from '../../src/build/script-container.js';
import type { ContainerSpec, ImageInfo } from '../../src/docker/container-engine.js';
import { containerOwnerOf, ownedEngine } from '../../src/store/container-owner.js';
import { UnusedEngine } from '../support/unused-engine.js';

const INSTANCE = '0123456789ab';

/** An engine that may only create containers and inspect images, recording the names it was given. */
class NamingEngine extends UnusedEngine {
  readonly names: string[] = [];

  constructor() {
    super('an owned engine');
  }

  override async createContainer(spec: ContainerSpec): Promise<string> {
    this.names.push(spec.name);
    return `id-${this.names.length}`;
  }

  override async inspectImage(reference: string): Promise<ImageInfo | undefined> {
    return reference === 'missing' ? undefined : ({ id: `sha256:${reference}` } as ImageInfo);
  }
}

const spec = (name: string) => ({ name }) as ContainerSpec;

describe('src/store/container-owner', () => {
  it('names every build container after its run and instance, and leaves other containers as they are', async () => {
    const engine = new NamingEngine();
    const owned = ownedEngine(engine, { instance: INSTANCE, runId: 17 });

    const ids = [await owned.createContainer(spec(`${BUILD_CONTAINER_PREFIX}abc-1a2b3c4d`)), await owned.createContainer(spec('s2i-bot-bench-x'))];

    expect(ids).toEqual(['id-1', 'id-2']);
    expect(engine.names).toEqual([`${BUILD_CONTAINER_PREFIX}abc-1a2b3c4d.run-17.${INSTANCE}`, 's2i-bot-bench-x']);
  });

  it('passes every other call to the engine unchanged', async () => {
    const owned = ownedEngine(new NamingEngine(), { instance: INSTANCE, runId: 1 });

    expect(await owned.inspectImage('builder')).toEqual({ id: 'sha256:builder' });
    expect(await owned.inspectImage('missing')).toBeUndefined();
    expect(() => owned.removeContainer('x')).toThrow('removeContainer is not used by an owned engine');
  });

  it('reads the owner back from a build container name', () => {
    expect(containerOwnerOf(`${BUILD_CONTAINER_PREFIX}${'f'.repeat(40)}-1a2b3c4d.run-17.${INSTANCE}`)).toEqual({ instance: INSTANCE, runId: 17 });
  });

  it.each([
    ['a build container of an older version, without owner', `${BUILD_CONTAINER_PREFIX}${'f'.repeat(40)}-1a2b3c4d`],
    ['another container with an owner-like suffix', `my-app.run-17.${INSTANCE}`],
    ['a suffix with a malformed instance', `${BUILD_CONTAINER_PREFIX}abc-1a2b3c4d.run-17.0123`],
  ])('finds no owner for %s', (_case, name) => {
    expect(containerOwnerOf(name)).toBeUndefined();
  });

  it('refuses an owner that would make an invalid or unreadable name', () => {
    expect(() => ownedEngine(new NamingEngine(), { instance: 'not/hex', runId: 1 })).toThrow('not a container owner: instance "not/hex", run 1');
    expect(() => ownedEngine(new NamingEngine(), { instance: INSTANCE, runId: 1.5 })).toThrow('not a container owner');
  });
});
