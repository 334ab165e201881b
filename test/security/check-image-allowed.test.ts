import { describe, expect, it } from '@jest/globals';
import { buildImage } from '../../src/build/build-image.js';
import { checkImageAllowed, fullImageReference } from '../../src/security/check-image-allowed.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { buildErrorOf } from '../support/rejection.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { tarOf } from '../support/docker.js';

const ALLOWED = ['registry.example.com/s2i/*', 'docker.io/library/node:*'];

function refusal(reference: string, role: 'builder' | 'runtime' = 'builder'): string {
  try {
    checkImageAllowed(reference, role, ALLOWED);
  } catch (error) {
    return (error as Error).message;
  }
  return 'allowed';
}

describe('security/check-image-allowed', () => {
  it.each<[string, string]>([
    ['node:20', 'docker.io/library/node:20'],
    ['node', 'docker.io/library/node:latest'],
    ['docker.io/node:20', 'docker.io/library/node:20'],
    ['docker.io/library/node:20', 'docker.io/library/node:20'],
    ['acme/builder', 'docker.io/acme/builder:latest'],
    ['Registry.Example.COM/s2i/nodejs', 'registry.example.com/s2i/nodejs:latest'],
    ['127.0.0.1:5000/s2i/html:1', '127.0.0.1:5000/s2i/html:1'],
    [`localhost/s2i/x@sha256:${'a'.repeat(64)}`, `localhost/s2i/x@sha256:${'a'.repeat(64)}`],
  ])('matches %j as %j', (reference, full) => {
    expect(fullImageReference(reference)).toBe(full);
  });

  it.each([
    'registry.example.com/s2i/nodejs:20',
    'registry.example.com/s2i/nodejs',
    `registry.example.com/s2i/nodejs@sha256:${'b'.repeat(64)}`,
    'node:20',
    'docker.io/library/node:20-slim',
  ])('allows %j', (reference) => {
    expect(refusal(reference)).toBe('allowed');
  });

  it.each([
    ['registry.example.com/s2i/team/nodejs:20', 'registry.example.com/s2i/team/nodejs:20'],
    ['registry.example.com.evil.example/s2i/nodejs:20', 'registry.example.com.evil.example/s2i/nodejs:20'],
    ['evil.example/registry.example.com/s2i/x', 'evil.example/registry.example.com/s2i/x:latest'],
    ['python:3', 'docker.io/library/python:3'],
    ['nodejs:1', 'docker.io/library/nodejs:1'],
  ])('refuses %j, naming the image, the list and who to ask', (reference, full) => {
    const message = refusal(reference);

    expect(message).toBe(`builder failed: builder image ${reference}${full !== reference ? ` (${full})` : ''} is not allowed by S2I_ALLOWED_BUILDERS (registry.example.com/s2i/*, docker.io/library/node:*)`);
  });

  it('allows every image when there is no list', () => {
    expect(() => checkImageAllowed('anything.example/at/all:1', 'builder', undefined)).not.toThrow();
  });

  it('says what to do: use an allowed image or ask the operator', async () => {
    const error = await buildErrorOf(Promise.resolve().then(() => checkImageAllowed('python:3', 'runtime', ALLOWED)));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe("runtime image python:3 (docker.io/library/python:3) is not allowed by S2I_ALLOWED_BUILDERS (registry.example.com/s2i/*, docker.io/library/node:*)");
    expect(error.hint).toBe('use a runtime image the list allows, or ask the operator who runs s2i-bot to add docker.io/library/python:3 to S2I_ALLOWED_BUILDERS');
  });

  it.each([
    ['the builder', { builder: 'evil.example/miner:1' }, 'builder image evil.example/miner:1 is not allowed'],
    ['the runtime image', { builder: 'registry.example.com/s2i/nodejs:20', runtimeImage: 'evil.example/runtime:1' }, 'runtime image evil.example/runtime:1 is not allowed'],
  ])('refuses %s in a build before the engine is asked for anything or the source is read', async (_name, images, reason) => {
    const settings = { ...loadEngineSettings({ S2I_ALLOWED_BUILDERS: ALLOWED.join(',') }) };
    let sourceRead = false;

    const error = await buildErrorOf(
      buildImage(new UnusedEngine('a build the allowlist refuses'), settings, {
        ...images,
        repository: 'registry.example.com/acme/hello',
        tag: 'v1',
        source: () => {
          sourceRead = true;
          return tarOf({ 'index.html': 'hi' });
        },
      }),
    );

    expect(error.step).toBe('builder');
    expect(error.reason).toMatch(new RegExp(`^${reason.replace(/[.*]/g, '\\$&')} by S2I_ALLOWED_BUILDERS`));
    expect(sourceRead).toBe(false);
  });
});
