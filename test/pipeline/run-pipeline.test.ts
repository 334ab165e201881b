import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, expect, it, jest } from '@jest/globals';
import { parse } from 'yaml';
import { parseRepoConfig } from '../../src/config/load-repo-config.js';
import type { RepoConfig } from '../../src/config/schema.js';
import type { ImageInfo } from '../../src/docker/container-engine.js';
import { runPipeline, type PipelineJob, type PipelinePorts } from '../../src/pipeline/run-pipeline.js';
import type { CheckName, CheckOutput, Conclusion } from '../../src/report/check-output.js';
import type { CheckReporter, RunReporter } from '../../src/report/check-reporter.js';
import type { DeploymentRecord, DeploymentReporter, DeploymentSubject } from '../../src/report/deployment-reporter.js';
import { renderPin } from '../../src/gitops/pin.js';
import { loadBuildSettings } from '../../src/settings/build-settings.js';
import { packDirectory } from '../../src/source/pack-directory.js';
import { MemoryConfigRepo } from '../support/pipeline-fakes.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { BUILT_IMAGE_ID, SucceedingEngine } from './succeeding-engine.js';

const SHA = '5a1b2c3d4e5f60718293a4b5c6d7e8f901234567';
const BUILDER = 'registry.example.com/s2i/html:1';
const DIGEST = `sha256:${'d1'.repeat(32)}`;
const CONFIG_TEXT = ['builder: registry.example.com/s2i/html:1', 'image: registry.example.com/acme/hello', 'deploy: { namespace: demo }', 'gitops: { repo: acme/cluster-config }', ''].join('\n');
const POLICY = 'allow:\n  - repo: acme/hello\n    paths: ["apps/hello/**"]\n    namespaces: [demo]\n';

function repoConfig(): RepoConfig {
  const parsed = parseRepoConfig(CONFIG_TEXT, { defaults: { repoName: 'hello', defaultBranch: 'main' } });
  if (!parsed.ok) throw new Error(`the test config is invalid: ${JSON.stringify(parsed.problems)}`);
  return parsed.config;
}

function job(): PipelineJob {
  return {
    repo: 'acme/hello',
    sourceUrl: 'https://github.com/acme/hello',
    commit: { sha: SHA, ref: 'main', author: 'Ada <ada@example.com>', date: '2025-01-02T03:04:05Z', message: 'Say hello\n\nWith a body that is not in the subject' },
    config: repoConfig(),
    environment: 'production',
  };
}

interface DeploymentShape {
  spec: { template: { spec: { containers: Array<{ image: string }> } } };
}

/** Every call the pipeline made on its checks, in order. */
interface CheckCall {
  check: CheckName;
  call: 'progress' | 'complete';
  conclusion?: Conclusion;
  output: CheckOutput;
  detailsUrl?: string;
}

/**
 * A RunReporter that records every call; `failFirstProgress` makes the first progress of that check throw after
 * the check was shown, like a reporter with a bug.
 */
class RecordingReporter implements RunReporter {
  readonly created: CheckName[] = [];
  readonly calls: CheckCall[] = [];

  constructor(private readonly failFirstProgress?: { check: CheckName; error: Error }) {}

  check(name: CheckName): CheckReporter {
    this.created.push(name);
    const calls = this.calls;
    const failure = this.failFirstProgress?.check === name ? this.failFirstProgress.error : undefined;
    let started = false;
    let completed = false;
    return {
      get started() {
        return started;
      },
      get completed() {
        return completed;
      },
      async progress(output) {
        if (completed) return;
        const first = !started;
        started = true;
        calls.push({ check: name, call: 'progress', output });
        if (first && failure) throw failure;
      },
      async complete(conclusion, output, links) {
        if (completed) return;
        started = true;
        completed = true;
        calls.push({ check: name, call: 'complete', conclusion, output, ...(links?.detailsUrl ? { detailsUrl: links.detailsUrl } : {}) });
      },
    };
  }

  completions(): Array<[CheckName, Conclusion | undefined, string]> {
    return this.calls.filter((call) => call.call === 'complete').map((call) => [call.check, call.conclusion, call.output.title]);
  }
}


/** Every deploy the pipeline recorded, one line per call. */
class RecordingDeployments implements DeploymentReporter {
  readonly events: string[] = [];

  async start(subject: DeploymentSubject): Promise<DeploymentRecord> {
    this.events.push(`start ${subject.environment} ${subject.sha} ${subject.image} rollback=${subject.rollback}: ${subject.description}`);
    return {
      succeed: async (logUrl, description) => void this.events.push(`success ${logUrl}: ${description}`),
      fail: async (description) => void this.events.push(`failure: ${description}`),
    };
  }
}

/** A registry that already has the commit's image. */
class AlreadyPushedEngine extends SucceedingEngine {
  constructor(builder: string, private readonly pushed: string) {
    super(builder, pushed);
  }

  override async registryDigest(reference: string): Promise<string | undefined> {
    this.calls.push(`registryDigest ${reference}`);
    return this.pushed;
  }
}

/** An engine whose socket refuses connections: the first call of a build fails like dockerode does then. */
class UnreachableEngine extends UnusedEngine {
  readonly inspected: string[] = [];

  constructor() {
    super('a build on an engine that is down');
  }

  override inspectImage(reference: string): Promise<ImageInfo | undefined> {
    this.inspected.push(reference);
    return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }));
  }

  override registryDigest(): Promise<string | undefined> {
    return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', syscall: 'connect' }));
  }
}

function ports(overrides: Omit<Partial<PipelinePorts>, 'openSource'> & Pick<PipelinePorts, 'engine' | 'reporter'>): PipelinePorts & { openSource: jest.Mock<() => Readable> } {
  const openSource = jest.fn(() => packDirectory('examples/hello-html'));
  return {
    settings: loadBuildSettings({}),
    // No credentials: a DOCKER_CONFIG that does not exist means anonymous pulls and pushes.
    env: { DOCKER_CONFIG: join(tmpdir(), `s2i-bot-no-docker-config-${randomBytes(6).toString('hex')}`) },
    openSource,
    stripComponents: 0,
    configRepo: () => {
      throw new Error('the config repo is not used by this test');
    },
    ...overrides,
  };
}

describe('src/pipeline/run-pipeline', () => {
  it('fails s2i/build at step builder when the engine cannot be reached, and neither deploys nor touches the config repo', async () => {
    const engine = new UnreachableEngine();
    const reporter = new RecordingReporter();
    const configRepo = jest.fn(() => new MemoryConfigRepo({}));
    const run = ports({ engine, reporter, configRepo });

    const result = await runPipeline(job(), run);

    expect(result).toMatchObject({ ok: false });
    expect(result.push).toBeUndefined();
    expect(result.deploy).toBeUndefined();
    expect(reporter.created).toEqual(['s2i/build']);
    expect(reporter.calls.map((call) => `${call.check} ${call.call}`)).toEqual(['s2i/build progress', 's2i/build complete']);
    const completed = reporter.calls[1];
    expect(completed.conclusion).toBe('failure');
    expect(completed.output.title).toBe('Builder failed: the Docker engine could not be reached (ECONNREFUSED)');
    expect(completed.output.summary).toContain('**Step:** builder');
    expect(completed.output.summary).toContain('start the Docker engine, or point DOCKER_HOST at a running one');
    expect(engine.inspected).toEqual([BUILDER]);
    expect(run.openSource).not.toHaveBeenCalled();
    expect(configRepo).not.toHaveBeenCalled();
  });

  it('concludes every check it started when the reporter itself throws, and rethrows that error', async () => {
    const bug = new Error('reporter bug: cannot read properties of undefined');
    const engine = new UnreachableEngine();
    const reporter = new RecordingReporter({ check: 's2i/build', error: bug });
    const configRepo = jest.fn(() => new MemoryConfigRepo({}));
    const run = ports({ engine, reporter, configRepo });

    const outcome = await runPipeline(job(), run).then(
      () => new Error('resolved, but the reporter error was expected'),
      (caught: unknown) => caught,
    );

    expect(outcome).toBe(bug);
    expect(reporter.created).toEqual(['s2i/build']);
    expect(reporter.completions()).toEqual([['s2i/build', 'failure', 'Internal failed: s2i-bot failed unexpectedly: reporter bug: cannot read properties of undefined']]);
    expect(engine.inspected).toEqual([]);
    expect(configRepo).not.toHaveBeenCalled();
  });

  it('records the deploy as a GitHub Deployment that goes in progress, then succeeds with the config commit as log', async () => {
    const reporter = new RecordingReporter();
    const deployments = new RecordingDeployments();
    const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY });
    const run = ports({ engine: new SucceedingEngine(BUILDER, DIGEST), reporter, configRepo: () => configRepo, deployments });

    const result = await runPipeline(job(), run);

    expect(result.ok).toBe(true);
    expect(deployments.events).toEqual([
      `start production ${SHA} registry.example.com/acme/hello@${DIGEST} rollback=false: Deploy of 5a1b2c3 to production`,
      'success https://github.com/acme/cluster-config/commit/c0ffee: Deployed to production',
    ]);
  });

  it('holds a deploy back when the environment is pinned: nothing written, s2i/deploy neutral, the Deployment failed', async () => {
    const reporter = new RecordingReporter();
    const deployments = new RecordingDeployments();
    const pin = renderPin({ environment: 'production', repo: 'acme/hello', sha: 'e'.repeat(40), image: 'registry.example.com/acme/hello@sha256:00', by: 'ada', at: '2026-01-01T00:00:00Z', reason: 'rollback' });
    const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY, 'apps/hello/production/s2i-pin.yaml': pin });
    const run = ports({ engine: new SucceedingEngine(BUILDER, DIGEST), reporter, configRepo: () => configRepo, deployments });

    const result = await runPipeline(job(), run);

    expect(result.ok).toBe(false);
    expect(result.heldBack).toMatchObject({ sha: 'e'.repeat(40), by: 'ada' });
    expect(configRepo.writes).toEqual([]);
    expect(reporter.completions().map(([check, conclusion, title]) => [check, conclusion, check === 's2i/build' ? 'not checked' : title])).toEqual([
      ['s2i/build', 'success', 'not checked'],
      ['s2i/deploy', 'neutral', 'Held back: production is pinned to eeeeeee by @ada (rollback)'],
    ]);
    expect(reporter.calls.at(-1)?.output.summary).toContain('Comment `/s2i unpin production`');
    expect(deployments.events.at(-1)).toBe('failure: Held back: production is pinned to eeeeeee by @ada (rollback)');
  });

  it('deploys a given image without building in a rollback, and writes the pin with the manifests in one commit', async () => {
    const engine = new SucceedingEngine(BUILDER, DIGEST);
    const reporter = new RecordingReporter();
    const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY, 'apps/hello/production/s2i-pin.yaml': 'an older pin' });
    const run = ports({ engine, reporter, configRepo: () => configRepo });
    const image = { registry: 'registry.example.com', reference: `registry.example.com/acme/hello:${SHA}`, digest: DIGEST, pinned: `registry.example.com/acme/hello@${DIGEST}` };
    const pin = { environment: 'production', repo: 'acme/hello', sha: SHA, image: image.pinned, by: 'ada', at: '2026-01-01T00:00:00Z', reason: 'rollback' };

    const result = await runPipeline({ ...job(), image, pin }, run);

    expect(result.ok).toBe(true);
    expect(engine.calls).toEqual([]);
    expect(run.openSource).not.toHaveBeenCalled();
    expect(reporter.completions().map(([check, conclusion]) => [check, conclusion])).toEqual([['s2i/deploy', 'success']]);
    expect(configRepo.writes[0].files.map((file) => file.path)).toEqual([
      'apps/hello/production/deployment.yaml',
      'apps/hello/production/kustomization.yaml',
      'apps/hello/production/service.yaml',
      'apps/hello/production/s2i-pin.yaml',
    ]);
    expect(parse(configRepo.writes[0].files[3].content as string)).toEqual(pin);
  });

  it('deploys the image the registry already has for this commit instead of building it again', async () => {
    const engine = new AlreadyPushedEngine(BUILDER, DIGEST);
    const reporter = new RecordingReporter();
    const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY });
    const run = ports({ engine, reporter, configRepo: () => configRepo });

    const result = await runPipeline(job(), run);

    expect(result.ok).toBe(true);
    expect(engine.calls).toEqual([`registryDigest registry.example.com/acme/hello:${SHA}`]);
    expect(run.openSource).not.toHaveBeenCalled();
    expect(reporter.completions()).toEqual([
      ['s2i/build', 'success', `Already built: registry.example.com/acme/hello:${SHA}`],
      ['s2i/deploy', 'success', 'Deployed to production: config commit c0ffee0'],
    ]);
    const deployment = parse(configRepo.writes[0].files.find((file) => file.path.endsWith('deployment.yaml'))?.content ?? '') as DeploymentShape;
    expect(deployment.spec.template.spec.containers[0].image).toBe(`registry.example.com/acme/hello@${DIGEST}`);
  });

  it('builds again when a rebuild is asked for, even if the registry has the image', async () => {
    const engine = new AlreadyPushedEngine(BUILDER, DIGEST);
    const run = ports({ engine, reporter: new RecordingReporter(), configRepo: () => new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY }) });

    const result = await runPipeline({ ...job(), rebuild: true }, run);

    expect(result.ok).toBe(true);
    expect(engine.calls[0]).toBe(`inspectImage ${BUILDER}`);
    expect(run.openSource).toHaveBeenCalledTimes(1);
  });

  it('builds, pushes, and commits manifests pinned by the pushed digest after the policy allowed them', async () => {
    const engine = new SucceedingEngine(BUILDER, DIGEST);
    const reporter = new RecordingReporter();
    const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY });
    const configRepoFor = jest.fn((_gitops: RepoConfig['gitops']) => configRepo);
    const run = ports({ engine, reporter, configRepo: configRepoFor });

    const result = await runPipeline(job(), run);

    expect(result.ok).toBe(true);
    expect(result.push?.pinned).toBe(`registry.example.com/acme/hello@${DIGEST}`);
    expect(result.files).toEqual(['apps/hello/production/deployment.yaml', 'apps/hello/production/kustomization.yaml', 'apps/hello/production/service.yaml']);
    expect(engine.calls).toEqual([
      `registryDigest registry.example.com/acme/hello:${SHA}`,
      `inspectImage ${BUILDER}`,
      'createContainer',
      'putArchive /tmp',
      'run',
      'commit',
      `inspectImage ${BUILT_IMAGE_ID}`,
      'removeContainer',
      `pushImage registry.example.com/acme/hello:${SHA}`,
    ]);
    expect(run.openSource).toHaveBeenCalledTimes(1);
    expect(configRepoFor).toHaveBeenCalledWith(repoConfig().gitops);
    expect(configRepo.writes).toHaveLength(1);
    expect(configRepo.writes[0]).toMatchObject({ message: 'deploy(production): acme/hello@5a1b2c3 Say hello', environment: 'production', sourceRepo: 'acme/hello' });
    const deployment = parse(configRepo.writes[0].files.find((file) => file.path.endsWith('deployment.yaml'))?.content ?? '') as DeploymentShape;
    expect(deployment.spec.template.spec.containers.map((container) => container.image)).toEqual([`registry.example.com/acme/hello@${DIGEST}`]);
    expect(reporter.created).toEqual(['s2i/build', 's2i/deploy']);
    expect(reporter.completions()).toEqual([
      ['s2i/build', 'success', expect.stringMatching(new RegExp(`^Built registry\\.example\\.com/acme/hello:${SHA} in \\d+\\.\\d s$`))],
      ['s2i/deploy', 'success', 'Deployed to production: config commit c0ffee0'],
    ]);
    expect(reporter.calls.at(-1)?.detailsUrl).toBe('https://github.com/acme/cluster-config/commit/c0ffee');
    expect(reporter.calls.some((call) => call.check === 's2i/build' && call.call === 'progress' && call.output.text?.includes('---> Copying the site'))).toBe(true);
    expect(Object.keys(result.timings)).toEqual(['builder', 'source', 'assemble', 'commit', 'push', 'render', 'gitops']);
  });

  it('fails s2i/deploy naming the policy file, and writes nothing, when the policy does not grant the app', async () => {
    const engine = new SucceedingEngine(BUILDER, DIGEST);
    const reporter = new RecordingReporter();
    const configRepo = new MemoryConfigRepo({ '.github/s2i-policy.yml': POLICY.replace('acme/hello', 'acme/other') });
    const run = ports({ engine, reporter, configRepo: () => configRepo });

    const result = await runPipeline(job(), run);

    expect(result.ok).toBe(false);
    expect(result.push?.digest).toBe(DIGEST);
    expect(configRepo.writes).toEqual([]);
    const [build, deploy] = reporter.completions();
    expect(build[1]).toBe('success');
    expect(deploy).toEqual(['s2i/deploy', 'failure', 'Policy failed: .github/s2i-policy.yml in the config repo has no allow entry for acme/hello']);
  });

  it('builds and pushes but creates no s2i/deploy check when the branch maps to no environment', async () => {
    const engine = new SucceedingEngine(BUILDER, DIGEST);
    const reporter = new RecordingReporter();
    const configRepo = jest.fn(() => new MemoryConfigRepo({}));
    const run = ports({ engine, reporter, configRepo });

    const result = await runPipeline({ ...job(), environment: undefined }, run);

    expect(result).toMatchObject({ ok: true, push: { digest: DIGEST } });
    expect(reporter.created).toEqual(['s2i/build']);
    expect(reporter.completions().map(([check, conclusion]) => [check, conclusion])).toEqual([['s2i/build', 'success']]);
    expect(configRepo).not.toHaveBeenCalled();
  });
});
