import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { buildImage, type BuildEvent } from '../../src/build/build-image.js';
import { BUILD_CONTAINER_PREFIX } from '../../src/build/script-container.js';
import { failureOutput } from '../../src/report/check-output.js';
import { describeFailure } from '../../src/report/describe-failure.js';
import { containerOwnerOf, ownedEngine, type ContainerOwner } from '../../src/store/container-owner.js';
import { buildErrorOf } from '../support/rejection.js';
import { buildTestBuilder, engine, removeImages, tarOf, testSettings, uniqueTag } from '../support/docker.js';

jest.setTimeout(60_000);

const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/outage-timeout:${RUN_ID}`;
const OUTPUT = `s2i-bot-test/outage-timeout-${RUN_ID}`;
const INSTANCE = '7e57ab1e0000';
/** The assemble of every build here hangs for a minute, far past the 2 s timeout. */
const HANGING_ASSEMBLE = '#!/bin/sh\necho "---> waiting for a server that never answers"\nsleep 60\n';

/** Names of the build containers of `owner`'s run on the engine, in any state. */
async function containersOf(owner: ContainerOwner): Promise<string[]> {
  const containers = await engine.listContainers(BUILD_CONTAINER_PREFIX);
  return containers
    .filter((container) => {
      const found = containerOwnerOf(container.name);
      return found?.instance === owner.instance && found.runId === owner.runId;
    })
    .map((container) => container.name);
}

beforeAll(async () => {
  await buildTestBuilder(BUILDER, { assemble: HANGING_ASSEMBLE, run: '#!/bin/sh\nexec sleep 1\n' }, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'USER 1001']);
});

afterAll(async () => {
  await removeImages(BUILDER);
});

describe('outage: a build that outlives S2I_BUILD_TIMEOUT (real engine)', () => {
  it("kills the hanging assemble, fails with the timeout in the check's title, and leaves no container of the run", async () => {
    const owner = { instance: INSTANCE, runId: 1 };
    const whileAssembling: Array<Promise<string[]>> = [];
    const onEvent = (event: BuildEvent) => {
      if (event.kind === 'log' && event.line.startsWith('---> waiting')) whileAssembling.push(containersOf(owner));
    };
    const started = Date.now();

    const error = await buildErrorOf(
      buildImage(ownedEngine(engine, owner), testSettings({ timeoutSeconds: 2 }), { builder: BUILDER, repository: OUTPUT, tag: uniqueTag(), source: () => tarOf({ 'index.html': 'hi' }), onEvent }),
    );

    const elapsedMs = Date.now() - started;
    expect(await Promise.all(whileAssembling)).toEqual([[expect.stringMatching(new RegExp(`^${BUILD_CONTAINER_PREFIX}.*\\.run-1\\.${INSTANCE}$`))]]);
    expect(failureOutput(describeFailure(error, 'build')).title).toBe('Assemble failed: assemble did not finish within 2s and was stopped');
    expect(error.hint).toBe('make the build faster, or ask the operator to raise S2I_BUILD_TIMEOUT');
    expect(error.logTail).toContain('---> waiting for a server that never answers');
    expect(elapsedMs).toBeLessThan(20_000);
    expect(await containersOf(owner)).toEqual([]);
  });

  it("also stops a save-artifacts that hangs: the build goes on clean, and neither of the run's containers is left", async () => {
    const owner = { instance: INSTANCE, runId: 2 };
    const previous = `${OUTPUT}:previous-${RUN_ID}`;
    // The previous image's save-artifacts never ends; the build's own assemble ends at once.
    const saveArtifacts = '#!/bin/sh\necho "waiting" >&2\nsleep 60\n';
    await buildTestBuilder(previous, { 'save-artifacts': saveArtifacts, assemble: '#!/bin/sh\nexit 0\n', run: '#!/bin/sh\nexec sleep 1\n' }, [
      'LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i',
      'USER 1001',
    ]);
    const lines: string[] = [];
    const whileSaving: Array<Promise<string[]>> = [];
    const tag = uniqueTag();

    try {
      const result = await buildImage(ownedEngine(engine, owner), testSettings({ timeoutSeconds: 2 }), {
        builder: previous,
        repository: OUTPUT,
        tag,
        source: () => tarOf({ 'index.html': 'hi' }),
        incremental: true,
        previousImage: previous,
        onEvent: (event) => {
          if (event.kind !== 'log') return;
          lines.push(event.line);
          if (event.line === 'waiting') whileSaving.push(containersOf(owner));
        },
      });

      expect(result.incremental).toBe(false);
      expect((await Promise.all(whileSaving))[0]).toContainEqual(expect.stringMatching(new RegExp(`\\.run-2\\.${INSTANCE}$`)));
      expect(lines).toContainEqual(expect.stringContaining('save-artifacts did not finish within 2s and was stopped'));
      expect(await containersOf(owner)).toEqual([]);
    } finally {
      await removeImages(`${OUTPUT}:${tag}`, previous);
    }
  });
});
