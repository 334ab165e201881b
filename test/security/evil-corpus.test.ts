import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { s2iBot } from '../../src/app.js';
import { parseRepoConfig } from '../../src/config/load-repo-config.js';
import type { RepoConfig } from '../../src/config/schema.js';
import { decidePush, type PushPayload } from '../../src/events/push-event.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { findHostAccess } from '../../src/policy/find-host-access.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { limitWebhookPayloads } from '../../src/security/limit-webhook-payloads.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { packDirectory } from '../../src/source/pack-directory.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';
import { startBot, type RunningBot } from '../support/probot.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { SucceedingEngine } from '../pipeline/succeeding-engine.js';
import { MemoryConfigRepo, ShownChecks } from '../support/pipeline-fakes.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
/** GitHub's own example of a push to a branch (`master` of Codertocat/Hello-World, installation 1). */
const PUSH = examples.find((example) => example.name === 'push')?.examples.find((push) => push.ref === 'refs/heads/master' && push.installation) as PushPayload;
const APP_REPO = '/repos/Codertocat/Hello-World';

const EVIL = join(process.cwd(), 'test/fixtures/evil');
const fixture = (path: string) => readFileSync(join(EVIL, path), 'utf8');

const BUILDER = 'registry.example.com/s2i/html:1';
const DIGEST = `sha256:${'d1'.repeat(32)}`;
const SHA = '5a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const GOOD_POLICY = 'allow:\n  - repo: acme/hello\n    paths: ["apps/hello/**"]\n    namespaces: [demo]\n';

/** A check title as GitHub shows it: one line of at most 120 characters. */
function titled(text: string): string {
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function configWithEnv(env: Record<string, string>): RepoConfig {
  const text = [`builder: ${BUILDER}`, 'image: registry.example.com/acme/hello', `env: ${JSON.stringify(env)}`, 'deploy: { namespace: demo }', 'gitops: { repo: acme/cluster-config }', ''].join('\n');
  const parsed = parseRepoConfig(text, { defaults: { repoName: 'hello', defaultBranch: 'main' } });
  if (!parsed.ok) throw new Error(`the config was refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.config;
}

async function deployWith(config: RepoConfig, policy: string) {
  const checks = new ShownChecks();
  const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': policy });
  const engine = new SucceedingEngine(BUILDER, DIGEST);
  const result = await runPipeline(
    { repo: 'acme/hello', sourceUrl: 'https://github.com/acme/hello', commit: { sha: SHA, ref: 'main', message: 'Evil' }, config, environment: 'production' },
    { engine, settings: loadEngineSettings({}), env: { DOCKER_CONFIG: join(tmpdir(), 's2i-bot-no-docker-config') }, openSource: () => packDirectory('examples/hello-html'), stripComponents: 0, configRepo: () => configRepo, reporter: checks },
  );
  return { result, checks, writes: configRepo.writes };
}

describe('security: the evil corpus through the real parsers and the pipeline', () => {
  describe('.github/s2i.yml, delivered to the App over HTTP', () => {
    let github: GitHubMock;
    let queue: RunQueue;
    let bot: RunningBot;

    beforeEach(async () => {
      github = mockGitHub();
      queue = new RunQueue({ concurrency: 1 });
      bot = await startBot(limitWebhookPayloads(s2iBot({ engine: new UnusedEngine('a config the bot refuses'), settings: loadEngineSettings({}), queue, env: {}, checkRefreshMs: 60_000 })));
    });

    afterEach(async () => {
      await bot.stop();
      assertGitHubDone(github);
    });

    it.each<[string, string, number | undefined]>([
      ['billion-laughs.yml', 'YAML aliases (*name) expand to too much data (more than 100 expansions); write the values out instead', undefined],
      ['deep-nesting.yml', 'the file nests lists and mappings too deeply (more than 50 levels); settings need only a few', undefined],
      ['js-function.yml', 'the YAML tag !!js/function is not allowed; write plain values without tags', 5],
      ['binary-huge.yml', 'the YAML tag !!binary is not allowed; write plain values without tags', 6],
      ['custom-tag.yml', 'the YAML tag !include is not allowed; write plain values without tags', 5],
      ['duplicate-keys.yml', 'duplicate key "image": a key may appear only once in a mapping', 5],
      ['oversized.yml', 'the file is 66 KiB, larger than the 64 KiB limit; it holds settings only, so shorten it', undefined],
      ['proto-key.yml', 'the key "__proto__" is not allowed', 6],
      ['second-document.yml', 'the file holds more than one YAML document (a second "---"); keep a single document', 5],
    ])('refuses config/%s in s2i/build with its message, and builds and writes nothing', async (file, message, line) => {
      github.api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
      github.api.get(`${APP_REPO}/contents/.github%2Fs2i.yml`).query({ ref: PUSH.after }).reply(200, fixture(`config/${file}`));
      github.api.post(`${APP_REPO}/check-runs`).reply(201, { id: 7 });

      const response = await bot.deliver('push', PUSH);
      await queue.onIdle();

      expect(response.status).toBe(200);
      expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `GET ${APP_REPO}/contents/.github%2Fs2i.yml?ref=${PUSH.after}`, `POST ${APP_REPO}/check-runs`]);
      const check = github.requests[2].body as { name: string; conclusion: string; output: { title: string; annotations?: Array<{ start_line: number; message: string }> } };
      expect([check.name, check.conclusion]).toEqual(['s2i/build', 'failure']);
      expect(check.output.title).toBe(titled(`Config failed: .github/s2i.yml is invalid: ${line ? `line ${line}: ` : ''}${message}`));
      expect(check.output.annotations ?? []).toEqual(line ? [expect.objectContaining({ start_line: line, message })] : []);
    });

    it.each(['push-tag.json', 'push-branch-deleted.json', 'push-not-a-sha.json', 'push-no-installation.json', 'push-ref-traversal.json'])(
      'answers a signed webhooks/%s and asks GitHub for nothing',
      async (file) => {
        const payload = { ...PUSH, ...(JSON.parse(fixture(`webhooks/${file}`)) as Partial<PushPayload>) } as PushPayload;

        const response = await bot.deliver('push', payload);
        await queue.onIdle();

        expect(response.status).toBe(200);
        expect(decidePush(payload).act).toBe(false);
        expect(github.requests).toEqual([]);
      },
    );
  });

  describe('.github/s2i-policy.yml in the config repo, through the pipeline', () => {
    it.each<[string, string]>([
      ['js-function.yml', '.github/s2i-policy.yml line 3: the YAML tag !!js/function is not allowed; write plain values without tags'],
      ['billion-laughs.yml', '.github/s2i-policy.yml: YAML aliases (*name) expand to too much data (more than 100 expansions); write the values out instead'],
      ['duplicate-keys.yml', '.github/s2i-policy.yml line 5: duplicate key "namespaces": a key may appear only once in a mapping'],
      ['negated-glob.yml', '.github/s2i-policy.yml line 4: allow[0].paths[0]: expected a glob relative to the config repo root, such as apps/hello/** (no leading "/", no "..", no "!"), got "!apps/other/**"'],
      ['traversal-glob.yml', '.github/s2i-policy.yml line 3: allow[0].paths[0]: expected a glob relative to the config repo root, such as apps/hello/** (no leading "/", no "..", no "!"), got "apps/hello/../../**"'],
      ['wildcard-owner.yml', '.github/s2i-policy.yml line 3: allow[0].repo: expected a repository as owner/name, or owner/* for every repository of an owner, got "*/*"'],
    ])('refuses policy/%s in s2i/deploy with its message, and writes nothing', async (file, message) => {
      const { result, checks, writes } = await deployWith(configWithEnv({}), fixture(`policy/${file}`));

      expect(result.ok).toBe(false);
      expect(checks.conclusions()).toEqual([expect.stringMatching(/^s2i\/build success: /), `s2i/deploy failure: ${titled(`Policy failed: ${message}`)}`]);
      expect(checks.shown.at(-1)?.output.summary).toContain(`**What went wrong:** ${message}`);
      expect(writes).toEqual([]);
    });
  });

  describe('injection strings as env values, through the pipeline', () => {
    const values = JSON.parse(fixture('injection/env-values.json')) as Record<string, string>;
    const env = Object.fromEntries(Object.entries(values).map(([name, value], index) => [`V${index}_${name.replace(/-/g, '_').toUpperCase()}`, value]));

    it('writes exactly Deployment, Kustomization and Service, each value read back as the one string it was, and no host access', async () => {
      const { result, writes } = await deployWith(configWithEnv(env), GOOD_POLICY);

      expect(result.ok).toBe(true);
      expect(writes).toHaveLength(1);
      const files = writes[0].files.map((file) => ({ path: file.path, content: file.content ?? '' }));
      expect(files.map((file) => file.path)).toEqual(['apps/hello/production/deployment.yaml', 'apps/hello/production/kustomization.yaml', 'apps/hello/production/service.yaml']);
      expect(files.map((file) => parseAllDocuments(file.content).length)).toEqual([1, 1, 1]);
      const objects = files.map((file) => parse(file.content) as Record<string, unknown>);
      expect(objects.map((object) => object.kind)).toEqual(['Deployment', 'Kustomization', 'Service']);
      expect(objects.flatMap((object) => findHostAccess(object))).toEqual([]);
      const container = (objects[0] as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } } }).spec.template.spec.containers[0];
      expect(Object.fromEntries(container.env.map((variable) => [variable.name, variable.value]))).toEqual(env);
    });
  });
});
