import { describe, expect, it } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRepoConfig } from '../../src/config/load-repo-config.js';
import type { OutputStream, RunResult } from '../../src/docker/container-engine.js';
import { runPipeline } from '../../src/pipeline/run-pipeline.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { packDirectory } from '../../src/source/pack-directory.js';
import { SucceedingEngine } from '../pipeline/succeeding-engine.js';
import { MemoryConfigRepo, ShownChecks } from '../support/pipeline-fakes.js';

const BUILDER = 'registry.example.com/s2i/html:1';
const CANARY = 'canary-5e1f0b7a93';
const TOKEN = `ghs_${'Tk9'.repeat(12)}`;

/** An assemble that prints the build's secret env value and an installation token, then fails. */
class LeakingEngine extends SucceedingEngine {
  override async run(_containerId: string, onOutput: (chunk: Buffer, stream: OutputStream) => void): Promise<RunResult> {
    onOutput(Buffer.from(`API_TOKEN=${CANARY}\ncloning https://x-access-token:${TOKEN}@github.com/acme/private\n`), 'stdout');
    return { exitCode: 2, timedOut: false, cancelled: false };
  }
}

function config(text: string) {
  const parsed = parseRepoConfig(text, { defaults: { repoName: 'hello', defaultBranch: 'main' } });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.config;
}

describe('security/redacted-ports', () => {
  const job = (builder: string) => ({
    repo: 'acme/hello',
    sourceUrl: 'https://github.com/acme/hello',
    commit: { sha: '5a1b2c3d4e5f60718293a4b5c6d7e8f901234567', ref: 'main' },
    config: config([`builder: ${builder}`, 'image: registry.example.com/acme/hello', `env: { API_TOKEN: ${CANARY}, NODE_ENV: production }`, 'deploy: { namespace: demo }', 'gitops: { repo: acme/cluster-config }', ''].join('\n')),
    environment: 'production',
  });

  it('shows the secrets a failing assemble printed as *** in the check run and in every event', async () => {
    const checks = new ShownChecks();
    const events: string[] = [];

    const result = await runPipeline(job(BUILDER), {
      engine: new LeakingEngine(BUILDER, `sha256:${'d'.repeat(64)}`),
      settings: loadEngineSettings({}),
      env: { DOCKER_CONFIG: join(tmpdir(), 's2i-bot-no-docker-config') },
      openSource: () => packDirectory('examples/hello-html'),
      stripComponents: 0,
      configRepo: () => new MemoryConfigRepo({}),
      reporter: checks,
      onEvent: (event) => events.push(event.kind === 'log' ? event.line : event.message),
    });

    expect(result.ok).toBe(false);
    expect(checks.conclusions()).toEqual(['s2i/build failure: Assemble failed: assemble exited with code 2']);
    expect(checks.shown.at(-1)?.output.text).toContain('API_TOKEN=***\ncloning https://x-access-token:***@github.com/acme/private');
    expect(events).toEqual(expect.arrayContaining(['API_TOKEN=***', 'cloning https://x-access-token:***@github.com/acme/private']));
    expect(JSON.stringify([checks.shown, events])).not.toMatch(new RegExp(`${CANARY}|${TOKEN}`));
  });

  it('fails s2i/build at step builder for a builder the operator does not allow, and deploys nothing', async () => {
    const checks = new ShownChecks();
    const configRepo = new MemoryConfigRepo({});

    const result = await runPipeline(job('registry.example.com/evil/miner:1'), {
      engine: new SucceedingEngine(BUILDER, `sha256:${'d'.repeat(64)}`),
      settings: loadEngineSettings({ S2I_ALLOWED_BUILDERS: 'registry.example.com/s2i/*' }),
      env: { DOCKER_CONFIG: join(tmpdir(), 's2i-bot-no-docker-config') },
      openSource: () => packDirectory('examples/hello-html'),
      stripComponents: 0,
      configRepo: () => configRepo,
      reporter: checks,
    });

    expect(result.ok).toBe(false);
    expect(checks.conclusions()).toEqual(["s2i/build failure: Builder failed: builder image registry.example.com/evil/miner:1 is not allowed by S2I_ALLOWED_BUILDERS (registry.exampl…"]);
    expect(checks.shown.at(-1)?.output.summary).toBe(
      "**Step:** builder\n\n**What went wrong:** builder image registry.example.com/evil/miner:1 is not allowed by S2I_ALLOWED_BUILDERS (registry.example.com/s2i/*)\n\n**What to do:** use a builder image the list allows, or ask the operator who runs s2i-bot to add registry.example.com/evil/miner:1 to S2I_ALLOWED_BUILDERS",
    );
    expect(configRepo.writes).toEqual([]);
  });
});
