import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deployCommand } from '../../src/cli/deploy-command.js';
import { parseRepoConfig } from '../../src/config/load-repo-config.js';
import type { RepoConfig } from '../../src/config/schema.js';
import { LocalConfigRepo } from '../../src/gitops/local-config-repo.js';
import { runPipeline, type PipelinePorts, type PipelineResult } from '../../src/pipeline/run-pipeline.js';
import type { ProxySettings } from '../../src/settings/proxy-settings.js';
import { buildTestBuilder, docker, engine, removeImages, tarOf, testSettings, uniqueTag, type FileTree } from '../support/docker.js';
import { recorder } from '../support/output-recorder.js';
import { dockerConfigWith, startRegistry, type TestRegistry } from '../support/registry.js';
import { ShownChecks } from '../support/pipeline-fakes.js';

jest.setTimeout(180_000);

/** Three canaries, one per kind of secret, so a leak names its source. */
const CANARY = {
  registry: `canary-registry-${uniqueTag()}`,
  env: `canary-env-${uniqueTag()}`,
  proxy: `canary-proxy-${uniqueTag()}`,
};
const PROXY: ProxySettings = { httpProxy: `http://proxy-user:${CANARY.proxy}@proxy.invalid:3128`, httpsProxy: undefined, noProxy: undefined };
const RUN_ID = uniqueTag();
const BUILDER = `s2i-bot-test/canary:${RUN_ID}`;
const POLICY = 'allow:\n  - repo: acme/canary\n    paths: ["apps/canary/**"]\n    namespaces: [demo]\n';

/** Echoes its whole environment (the proxy variables included) and a file of the source that holds a credential. */
const ASSEMBLE = `#!/bin/sh
echo "--- environment of assemble"
env | sort
echo "--- the app's notes"
cat /tmp/src/notes.txt
if [ "$FAIL" = "1" ]; then echo "failing on purpose"; exit 1; fi
mkdir -p /tmp/app && cp -r /tmp/src/. /tmp/app/
`;

/** An app whose notes hold the registry password, as a careless app might print a credential it found. */
const SOURCE: FileTree = { 'index.html': '<h1>canary</h1>', 'notes.txt': `registry password: ${CANARY.registry}\n` };

/** Every canary found in `text`, by name. */
function leaks(text: string, which: Array<keyof typeof CANARY> = ['registry', 'env', 'proxy']): string[] {
  return which.filter((name) => text.includes(CANARY[name]));
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
}

let registry: TestRegistry;
let credentials: { dir: string; remove(): Promise<void> };
let temp: string;
const images: string[] = [];

beforeAll(async () => {
  registry = await startRegistry({ username: 'robot', password: CANARY.registry });
  credentials = await dockerConfigWith(registry.address, { username: 'robot', password: CANARY.registry });
  temp = await mkdtemp(join(tmpdir(), 's2i-bot-canary-'));
  await buildTestBuilder(BUILDER, { assemble: ASSEMBLE, run: '#!/bin/sh\nexec httpd -f -p 8080 -h /tmp/app\n' }, ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'USER 1001']);
});

afterAll(async () => {
  await registry?.stop();
  await credentials?.remove();
  await rm(temp, { recursive: true, force: true });
  await removeImages(BUILDER, ...images);
});

function configOf(image: string, env: Record<string, string>): RepoConfig {
  const text = [`builder: ${BUILDER}`, `image: ${image}`, `env: ${JSON.stringify(env)}`, 'deploy: { name: canary, namespace: demo }', 'gitops: { repo: acme/cluster-config }', ''].join('\n');
  const parsed = parseRepoConfig(text, { defaults: { repoName: 'canary', defaultBranch: 'main' } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

/** A local config repo holding the policy; its directory. */
async function configRepoWithPolicy(name: string): Promise<string> {
  const dir = join(temp, name);
  await new LocalConfigRepo({ dir }).write({ files: [{ path: '.github/s2i-policy.yml', content: POLICY }], message: 'Grant acme/canary', environment: 'production', sourceRepo: 'acme/canary' });
  return dir;
}

/** Every file of the config repo's head commit, path and content. */
function committedFiles(dir: string): string {
  return git(dir, 'ls-tree', '-r', '--name-only', 'HEAD')
    .split('\n')
    .map((path) => `${path}\n${git(dir, 'show', `HEAD:${path}`)}`)
    .join('\n');
}

async function run(env: Record<string, string>): Promise<{ result: PipelineResult; checks: ShownChecks; lines: string[]; image: string; sha: string; configRepo: string }> {
  const image = `${registry.address}/canary/app-${uniqueTag()}`;
  const sha = execFileSync('sh', ['-c', `printf %s ${image} | sha1sum | cut -c1-40`], { encoding: 'utf8' }).trim();
  const checks = new ShownChecks();
  const lines: string[] = [];
  const configRepo = await configRepoWithPolicy(`config-${uniqueTag()}`);
  const ports: PipelinePorts = {
    engine,
    settings: { ...testSettings(), proxy: PROXY },
    env: { DOCKER_CONFIG: credentials.dir },
    openSource: () => tarOf(SOURCE),
    stripComponents: 0,
    configRepo: () => new LocalConfigRepo({ dir: configRepo }),
    reporter: checks,
    onEvent: (event) => lines.push(event.kind === 'log' ? event.line : event.message),
  };
  images.push(`${image}:${sha}`);
  const result = await runPipeline(
    { repo: 'acme/canary', sourceUrl: 'https://github.com/acme/canary', commit: { sha, ref: 'main', author: 'Ada <ada@example.com>', date: '2025-01-02T03:04:05Z', message: 'Canary' }, config: configOf(image, env), environment: 'production' },
    ports,
  );
  return { result, checks, lines, image, sha, configRepo };
}

describe('security: secrets never reach a check, a log, an image label or a commit (real engine, registry and git)', () => {
  it('redacts the canaries in a failing run: the log tail in s2i/build shows them as ***', async () => {
    const { result, checks, lines, configRepo } = await run({ API_TOKEN: CANARY.env, FAIL: '1' });

    const shown = JSON.stringify(checks.shown);
    expect(result.ok).toBe(false);
    expect(checks.conclusions()).toEqual(['s2i/build failure: Assemble failed: assemble exited with code 1']);
    // assemble did print each secret: the check and the log show where, redacted.
    expect(shown).toContain('API_TOKEN=***');
    expect(shown).toContain('HTTP_PROXY=http://***@proxy.invalid:3128');
    expect(shown).toContain('registry password: ***');
    expect(leaks(shown)).toEqual([]);
    expect(lines).toEqual(expect.arrayContaining(['API_TOKEN=***', 'http_proxy=http://***@proxy.invalid:3128', 'registry password: ***']));
    expect(leaks(lines.join('\n'))).toEqual([]);
    expect(git(configRepo, 'log', '-1', '--format=%s')).toBe('Grant acme/canary');
  });

  it('redacts the canaries in a succeeding run; the image and the config repo keep env by contract, never the registry or proxy secrets', async () => {
    const { result, checks, lines, image, sha, configRepo } = await run({ API_TOKEN: CANARY.env });

    const shown = JSON.stringify(checks.shown);
    expect(result.ok).toBe(true);
    expect(checks.conclusions()).toEqual([expect.stringMatching(/^s2i\/build success: Built /), expect.stringMatching(/^s2i\/deploy success: Deployed to production: config commit [0-9a-f]{7}$/)]);
    expect(shown).toContain('API_TOKEN=***');
    expect(leaks(shown)).toEqual([]);
    expect(lines).toContain('API_TOKEN=***');
    expect(leaks(lines.join('\n'))).toEqual([]);

    const config = (await docker.getImage(`${image}:${sha}`).inspect()).Config;
    expect(leaks(JSON.stringify(config.Labels))).toEqual([]);
    // env is the app's runtime environment: it is in the image as configured. The proxy and the registry are not.
    expect(config.Env).toContain(`API_TOKEN=${CANARY.env}`);
    expect(config.Env.filter((entry) => /proxy/i.test(entry))).toEqual([]);
    expect(leaks(JSON.stringify(config), ['registry', 'proxy'])).toEqual([]);

    // The committed Deployment carries env as plain text (use secretEnv for secrets); nothing else carries a canary.
    const committed = committedFiles(configRepo);
    expect(leaks(committed, ['registry', 'proxy'])).toEqual([]);
    expect(committed.split('\n').filter((line) => line.includes(CANARY.env))).toEqual([`              value: ${CANARY.env}`]);
    expect(git(configRepo, 'log', '--format=%B')).not.toMatch(new RegExp(Object.values(CANARY).join('|')));
  });

  it('redacts the canaries on the terminal of s2i-bot deploy', async () => {
    const app = join(temp, 'app');
    for (const [path, content] of Object.entries({ 'index.html': '<h1>canary</h1>', 'notes.txt': `registry password: ${CANARY.registry}\n`, '.github/s2i.yml': configText() })) {
      await mkdir(dirname(join(app, path)), { recursive: true });
      await writeFile(join(app, path), content);
    }
    git(app, 'init', '-q', '-b', 'main');
    git(app, 'add', '.');
    git(app, 'commit', '-q', '-m', 'Canary');
    images.push(`${registry.address}/canary/cli:${git(app, 'rev-parse', 'HEAD')}`);
    const configRepo = await configRepoWithPolicy('cli-config');
    const { lines, output } = recorder();
    const saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, S2I_BUILD_HTTP_PROXY: process.env.S2I_BUILD_HTTP_PROXY };
    Object.assign(process.env, { DOCKER_CONFIG: credentials.dir, S2I_BUILD_HTTP_PROXY: PROXY.httpProxy });

    try {
      const result = await deployCommand([app, '--config-repo', configRepo, '--repo', 'acme/canary'], engine, output);

      expect(result.ok).toBe(true);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }

    expect(lines).toEqual(expect.arrayContaining(['    API_TOKEN=***', '    HTTP_PROXY=http://***@proxy.invalid:3128', '    registry password: ***']));
    expect(leaks(lines.join('\n'))).toEqual([]);
  });
});

function configText(): string {
  return [`builder: ${BUILDER}`, `image: ${registry.address}/canary/cli`, `env: { API_TOKEN: ${JSON.stringify(CANARY.env)} }`, 'deploy: { name: canary, namespace: demo }', 'gitops: { repo: acme/cluster-config }', ''].join('\n');
}
