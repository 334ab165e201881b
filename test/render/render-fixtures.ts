import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RenderInput } from '../../src/render/render-manifests.js';
import { defaultTemplatesDir } from '../../src/render/templates-dir.js';

export const SHA = '0123456789abcdef0123456789abcdef01234567';
export const DIGEST = `sha256:${'4f'.repeat(32)}`;
export const IMAGE = `registry.example.com/acme/hello@${DIGEST}`;

/** The smallest deploy: ClusterIP Service, no probe, no env, no resources. */
export function minimalInput(): RenderInput {
  return {
    name: 'hello',
    namespace: 'default',
    environment: 'production',
    path: 'apps/hello/production',
    image: IMAGE,
    replicas: 1,
    port: 8080,
    service: { type: 'ClusterIP', port: 80 },
    env: {},
    secretEnv: {},
    source: { repo: 'acme/hello', sha: SHA },
  };
}

/** Every setting the deploy section has, as in the product's `.github/s2i.yml` example. */
export function fullInput(): RenderInput {
  return {
    name: 'hello',
    namespace: 'demo',
    environment: 'production',
    path: 'apps/hello/production',
    image: IMAGE,
    replicas: 2,
    port: 8080,
    service: { type: 'NodePort', port: 8080, nodePort: 30080 },
    readinessProbe: { path: '/healthz', port: 8080, initialDelaySeconds: 30, timeoutSeconds: 10, periodSeconds: 15 },
    env: { NODE_ENV: 'production', LOG_LEVEL: 'info', FEATURE_FLAGS: 'yes' },
    secretEnv: { DB_PASSWORD: { secret: 'hello-db', key: 'password' }, API_TOKEN: { secret: 'hello-api', key: 'token' } },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    source: { repo: 'acme/hello', sha: SHA, url: `https://github.com/acme/hello/commit/${SHA}` },
  };
}

/** A fixture directory of test/render/fixtures. */
export function fixtureDir(name: string): string {
  return fileURLToPath(new URL(`fixtures/${name}/`, import.meta.url));
}

/**
 * A temporary templates directory: the bundled templates with the files of fixtures/<name> added or replacing
 * theirs. Call the returned cleanup when done.
 */
export function templatesWith(name: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 's2i-render-templates-'));
  cpSync(defaultTemplatesDir(), dir, { recursive: true });
  cpSync(fixtureDir(name), dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
