/**
 * Benchmark: push → deploy through the real bot. Probot's server on loopback receives signed `push` webhooks,
 * GitHub is faked in-process (bench/fake-github.ts), the build runs on the real Docker engine and the image goes
 * to a real registry. Per round it measures the webhook answer, the pipeline phases, the time until the
 * s2i/deploy check is completed and the GitHub API calls; interleaved with the same build done directly
 * (`buildImage` + `pushImage`, no bot, no GitHub) as the baseline.
 *
 *   npm run bench:deploy [-- --rounds N --registry HOST:PORT --octokit production|unthrottled]
 *
 * Options may also come from BENCH_ROUNDS, BENCH_REGISTRY and BENCH_OCTOKIT; build and bot settings from the
 * usual S2I_* variables. See bench/README.md.
 */
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { createGunzip, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Probot, ProbotOctokit, Server } from 'probot';
import { pack } from 'tar-stream';
import { parseDocument } from 'yaml';
import { s2iBot } from '../src/app.js';
import { CommitFileCache } from '../src/gitops/commit-file-cache.js';
import { BUILD_CONTAINER_PREFIX, buildImage } from '../src/build/build-image.js';
import { environmentForBranch, parseRepoConfig, renderGitopsPath } from '../src/config/load-repo-config.js';
import type { RepoConfig } from '../src/config/schema.js';
import { DockerEngine } from '../src/docker/docker-engine.js';
import type { PushPayload } from '../src/events/push-event.js';
import { ProductionOctokit } from '../src/github/production-octokit.js';
import type { PipelinePhase } from '../src/pipeline/run-pipeline.js';
import { RunQueue } from '../src/queue/run-queue.js';
import { registryAuth } from '../src/registry/docker-config.js';
import { pushImage } from '../src/registry/push-image.js';
import { loadBotSettings } from '../src/settings/bot-settings.js';
import { loadBuildSettings, type BuildSettings } from '../src/settings/build-settings.js';
import { FakeGitHub, type ApiRequest } from './fake-github.js';
import { DefaultBranchCache } from '../src/gitops/github-config-repo.js';
import { BenchError, Interrupted, median, percentile, projectRoot, readRounds, recordSummary, runBenchmark, table } from './bench-support.js';

/** Repository path every image of this benchmark is pushed under; all of them are removed at the end. */
const BENCH_PATH = 's2i-bot-bench';
const APP_ID = 1;
const WEBHOOK_SECRET = 'bench-webhook-secret';
/** The goals of the issue this benchmark measures. */
const GOAL_API_CALLS = 12;
const GOAL_OVERHEAD_MS = 1500;
/** Pause between the previous deploy's last GitHub request and the next push (not timed). */
const QUIET_MS = 1100;
const PHASES: PipelinePhase[] = ['builder', 'source', 'assemble', 'commit', 'push', 'render', 'gitops'];

type OctokitMode = 'production' | 'unthrottled';

interface Options {
  rounds: number;
  registry: string;
  octokit: OctokitMode;
}

/** One push through the bot. */
interface BotRound {
  /** Webhook sent → HTTP 200. */
  webhookMs: number;
  /** Webhook sent → the request completing s2i/deploy reached GitHub. */
  totalMs: number;
  phases: Partial<Record<PipelinePhase, number>>;
  /** Requests to api.github.com, without the installation-token request. */
  apiCalls: number;
  tokenRequests: number;
  /** In-progress PATCHes of a check run (log refreshes), counted in apiCalls. */
  refreshes: number;
  downloads: number;
  requests: ApiRequest[];
}

/** The same build and push, called directly. */
interface DirectRound {
  totalMs: number;
  phases: Partial<Record<PipelinePhase, number>>;
}

const USAGE = `Usage: npm run bench:deploy [-- --rounds N --registry HOST:PORT --octokit production|unthrottled]

  --rounds N           measured rounds (BENCH_ROUNDS, default 5), after one warm-up round
  --registry HOST:PORT registry the images are pushed to (BENCH_REGISTRY, default 127.0.0.1:5000), under ${BENCH_PATH}/
  --octokit MODE       production (default): the Octokit \`npm start\` uses (writes: a budget of 80 per minute,
                       one at a time); unthrottled: the same without throttling (BENCH_OCTOKIT)
`;

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string' },
      registry: { type: 'string' },
      octokit: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const rounds = readRounds(values.rounds);
  const registry = values.registry ?? process.env.BENCH_REGISTRY ?? '127.0.0.1:5000';
  if (!/^[A-Za-z0-9.-]+(:\d+)?$/.test(registry)) throw new BenchError(`registry must be HOST[:PORT], got "${registry}"`);
  const octokit = values.octokit ?? process.env.BENCH_OCTOKIT ?? 'production';
  if (octokit !== 'production' && octokit !== 'unthrottled') throw new BenchError(`octokit must be production or unthrottled, got "${octokit}"`);
  return { rounds, registry, octokit };
}

// ---------------------------------------------------------------------------------------------------------
// The sample app, as GitHub would serve it

interface Sample {
  config: RepoConfig;
  configText: string;
  policyText: string;
  branch: string;
  environment: string;
  /** The example's files, path → content, with the benchmark's `.github/s2i.yml`. */
  files: Map<string, { content: Buffer; mode: number }>;
}

/** examples/hello-node and its `.github/s2i.yml`, with the image repository moved under the benchmark's path. */
async function loadSample(example: string, repository: string, appRepo: string): Promise<Sample> {
  const document = parseDocument(await readFile(join(example, '.github', 's2i.yml'), 'utf8'));
  document.set('image', repository);
  const configText = document.toString();
  const parsed = parseRepoConfig(configText, { defaults: { repoName: appRepo.split('/')[1], defaultBranch: 'main' } });
  if (!parsed.ok) throw new BenchError(`${relative(process.cwd(), example)}/.github/s2i.yml is invalid: ${parsed.problems.map((problem) => problem.message).join('; ')}`);
  const { config } = parsed;
  // A branch named literally in `branches` (not a glob), so a push to it deploys.
  const branch = Object.keys(config.branches).find((pattern) => /^[\w./-]+$/.test(pattern) && !pattern.includes('*'));
  const match = branch === undefined ? undefined : environmentForBranch(config, branch);
  if (branch === undefined || !match) throw new BenchError(`the example's .github/s2i.yml maps no plain branch name to an environment`);
  const path = renderGitopsPath(config, match.environment);
  const policyText = `allow:\n  - repo: ${appRepo}\n    paths: ["${path}/**"]\n    namespaces: [${config.deploy.namespace}]\n`;

  const files = new Map<string, { content: Buffer; mode: number }>();
  const walk = async (relativeDir: string): Promise<void> => {
    for (const name of (await readdir(join(example, relativeDir))).sort()) {
      const path = relativeDir ? `${relativeDir}/${name}` : name;
      const stats = await lstat(join(example, path));
      if (stats.isDirectory()) await walk(path);
      else if (stats.isFile()) files.set(path, { content: await readFile(join(example, path)), mode: stats.mode & 0o777 });
    }
  };
  await walk('');
  files.set('.github/s2i.yml', { content: Buffer.from(configText), mode: 0o644 });
  return { config, configText, policyText, branch, environment: match.environment, files };
}

/** A GitHub tarball of the sample at `sha`: gzipped, everything under `<owner>-<repo>-<sha7>/`. */
async function tarball(sample: Sample, appRepo: string, sha: string): Promise<Buffer> {
  const archive = pack();
  const top = `${appRepo.replace('/', '-')}-${sha.slice(0, 7)}/`;
  const directories = new Set<string>([top]);
  archive.entry({ name: top, type: 'directory', mode: 0o755 });
  for (const [path, file] of sample.files) {
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) {
      const directory = `${top}${parts.slice(0, depth).join('/')}/`;
      if (!directories.has(directory)) archive.entry({ name: directory, type: 'directory', mode: 0o755 });
      directories.add(directory);
    }
    archive.entry({ name: `${top}${path}`, mode: file.mode }, file.content);
  }
  archive.finalize();
  return gzipSync(await buffer(archive));
}

/** GitHub's example `push` (Codertocat/Hello-World, installation 1), moved to `sha` on `branch`. */
function pushPayload(template: PushPayload, sha: string, branch: string): PushPayload {
  const head = template.head_commit as NonNullable<PushPayload['head_commit']>;
  return {
    ...template,
    ref: `refs/heads/${branch}`,
    after: sha,
    head_commit: { ...head, id: sha, message: 'Benchmark commit', timestamp: new Date().toISOString() },
    repository: { ...template.repository, default_branch: branch },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The bot on Probot's server

interface RunLog {
  ok: boolean;
  timings: Partial<Record<PipelinePhase, number>>;
}

/** Reads the bot's JSON log lines: the `run finished` line of each run, and every error. */
class BotLog extends Writable {
  readonly runs = new Map<string, RunLog>();
  readonly errors: string[] = [];
  private rest = '';

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    const lines = (this.rest + chunk.toString()).split('\n');
    this.rest = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.take(line);
    done();
  }

  private take(line: string): void {
    let entry: { level?: number; msg?: string; sha?: string; ok?: boolean; timings?: RunLog['timings']; err?: { message?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if (entry.msg === 'run finished' && entry.sha) this.runs.set(entry.sha, { ok: entry.ok === true, timings: entry.timings ?? {} });
    if ((entry.level ?? 0) >= 50) this.errors.push(`${entry.msg ?? 'error'}${entry.err?.message ? `: ${entry.err.message}` : ''}`);
    else if ((entry.level ?? 0) >= 40) console.error(`bot warning: ${entry.msg ?? line}`);
  }
}

interface RunningBot {
  /** Posts a signed `push` webhook; resolves with the HTTP status once the bot answered. */
  deliver(payload: PushPayload): Promise<number>;
  stop(): Promise<void>;
}

async function startBot(app: ReturnType<typeof s2iBot>, octokit: OctokitMode, log: BotLog): Promise<RunningBot> {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const port = await freePort();
  const logger = pino({ level: 'info' }, log);
  const Octokit = octokit === 'production' ? ProductionOctokit : ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, throttle: { enabled: false } }));
  const server = new Server({
    host: '127.0.0.1',
    port,
    log: logger,
    Probot: Probot.defaults({ appId: APP_ID, privateKey, secret: WEBHOOK_SECRET, Octokit, log: logger }),
  });
  await server.load(app);
  await server.start();
  return {
    async deliver(payload) {
      const body = JSON.stringify(payload);
      const response = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      await response.arrayBuffer();
      return response.status;
    },
    stop: () => server.stop(),
  };
}

/** A TCP port nothing listens on right now, on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and output

const ms = (value: number) => value.toFixed(0);
const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;

function report(bot: BotRound[], direct: DirectRound[], options: Options): void {
  const column = (values: Array<number | undefined>): [string, string] => {
    const present = values.filter((value): value is number => value !== undefined);
    return present.length === 0 ? ['–', '–'] : [ms(median(present)), ms(percentile(present, 0.9))];
  };
  const sumOfPhases = (round: BotRound) => PHASES.reduce((sum, phase) => sum + (round.phases[phase] ?? 0), 0);
  const withoutAssemble = (round: { totalMs: number; phases: Partial<Record<PipelinePhase, number>> }) => round.totalMs - (round.phases.assemble ?? 0);
  const rows: string[][] = [['ms', 'bot median', 'bot p90', 'direct median', 'direct p90']];
  rows.push(['before build (webhook, token, config, check)', ...column(bot.map((round) => round.totalMs - sumOfPhases(round))), '–', '–']);
  for (const phase of PHASES) rows.push([`  ${phase}`, ...column(bot.map((round) => round.phases[phase])), ...column(direct.map((round) => round.phases[phase]))]);
  rows.push(['total: push → deploy | direct build+push', ...column(bot.map((round) => round.totalMs)), ...column(direct.map((round) => round.totalMs))]);
  rows.push(['bot overhead = bot total − direct total', ...column(bot.map((round, index) => round.totalMs - direct[index].totalMs)), '–', '–']);
  rows.push(['everything but assemble = total − assemble', ...column(bot.map(withoutAssemble)), ...column(direct.map(withoutAssemble))]);
  console.log(table(rows));

  const webhook = bot.map((round) => round.webhookMs);
  const calls = bot.map((round) => round.apiCalls);
  const refreshes = bot.map((round) => round.refreshes);
  const tokens = bot.reduce((sum, round) => sum + round.tokenRequests, 0);
  const downloads = bot.map((round) => round.downloads);
  console.log(`\nwebhook answer (HTTP 200): median ${webhook.length ? median(webhook).toFixed(1) : '–'} ms, p99 ${percentile(webhook, 0.99).toFixed(1)} ms`);
  console.log(`GitHub API calls per deploy: min ${Math.min(...calls)}, max ${Math.max(...calls)} (api.github.com, without the installation token)`);
  console.log(`  of which log-refresh PATCHes of a running check: min ${Math.min(...refreshes)}, max ${Math.max(...refreshes)}`);
  console.log(`  installation-token requests in the measured rounds: ${tokens} (Probot caches the token for up to an hour; the warm-up paid it)`);
  console.log(`  source downloads from codeload.github.com per deploy: ${Math.min(...downloads)}–${Math.max(...downloads)} (not counted: the API's 302 to it is)`);
  console.log(`calls of the last deploy:\n${bot[bot.length - 1].requests.map((request) => `  ${request.line}`).join('\n')}`);

  const maxCalls = Math.max(...calls);
  const overhead = bot.map(withoutAssemble);
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('\ngoals (printed, never enforced):');
  console.log(
    `  ≤ ${GOAL_API_CALLS} GitHub API calls per deploy: ${maxCalls} (max of ${calls.length}; ${maxCalls + 1} when the hourly token request falls in the deploy) — ${met(maxCalls <= GOAL_API_CALLS)}`,
  );
  console.log(
    `  bot overhead (everything but assemble) < ${seconds(GOAL_OVERHEAD_MS)}: ${seconds(median(overhead))} median, ${seconds(percentile(overhead, 0.9))} p90 — ${met(median(overhead) < GOAL_OVERHEAD_MS)}`,
  );
  if (options.octokit === 'production') {
    console.log('  (production Octokit: writes share a budget of 80 per minute; --octokit unthrottled shows the bot without it)');
  }
  const phaseMedians = PHASES.flatMap((phase) => {
    const values = bot.map((round) => round.phases[phase]).filter((value): value is number => value !== undefined);
    return values.length === 0 ? [] : [`${phase} ${ms(median(values))}`];
  });
  recordSummary('deploy', [
    { figure: 'push → deploy through the bot, median', value: seconds(median(bot.map((round) => round.totalMs))) },
    { figure: 'push → deploy by phase, median ms', value: phaseMedians.join(', ') },
    { figure: 'bot overhead (everything but assemble), median', value: seconds(median(overhead)), goal: `< ${seconds(GOAL_OVERHEAD_MS)}`, met: median(overhead) < GOAL_OVERHEAD_MS },
    { figure: 'GitHub API calls per deploy, max', value: String(maxCalls), goal: `≤ ${GOAL_API_CALLS}`, met: maxCalls <= GOAL_API_CALLS },
  ]);
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up

/** Force-removes build containers of these tags, which also aborts a build in flight. */
async function removeBuildContainers(engine: DockerEngine, tags: string[]): Promise<void> {
  for (const tag of tags) {
    const containers = await engine.docker.listContainers({ all: true, filters: { name: [`^/${BUILD_CONTAINER_PREFIX}${tag}`] } }).catch(() => []);
    for (const container of containers) {
      await engine.docker
        .getContainer(container.Id)
        .remove({ force: true })
        .catch((error: Error) => console.error(`clean-up: ${error.message}`));
    }
  }
}

/** Removes the local images and their manifests in the registry; errors are reported, not thrown. */
async function removeImages(engine: DockerEngine, registry: string, references: string[]): Promise<void> {
  const kept: string[] = [];
  for (const reference of references) {
    const [repository, tag] = [reference.slice(0, reference.lastIndexOf(':')), reference.slice(reference.lastIndexOf(':') + 1)];
    const name = repository.slice(registry.length + 1);
    const manifest = `http://${registry}/v2/${name}/manifests/`;
    const digest = await fetch(`${manifest}${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })
      .then((response) => (response.ok ? response.headers.get('docker-content-digest') : null))
      .catch(() => null);
    if (digest) {
      const status = await fetch(`${manifest}${digest}`, { method: 'DELETE' }).then(
        (response) => response.status,
        () => 0,
      );
      if (status !== 202) kept.push(`${reference} (${status ? `HTTP ${status}` : 'unreachable'})`);
    }
    await engine.docker
      .getImage(reference)
      .remove()
      .catch((error: { statusCode?: number; message: string }) => {
        if (error.statusCode !== 404) console.error(`clean-up: ${error.message}`);
      });
  }
  // A registry without `storage.delete.enabled` refuses deletes (HTTP 405): its blobs stay until removed by hand.
  if (kept.length > 0) console.error(`clean-up: the registry kept ${kept.length} manifest(s): ${kept.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions();
  const root = projectRoot();
  const example = join(root, 'examples', 'hello-node');
  const require = createRequire(import.meta.url);
  const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
  const template = examples.find((entry) => entry.name === 'push')?.examples.find((push) => push.ref.startsWith('refs/heads/') && push.installation && push.head_commit);
  if (!template) throw new BenchError('@octokit/webhooks-examples has no push to a branch with an installation');
  const appRepo = template.repository.full_name;
  const repository = `${options.registry}/${BENCH_PATH}/hello-node`;
  const directRepository = `${options.registry}/${BENCH_PATH}/direct`;
  const sample = await loadSample(example, repository, appRepo);
  const { config } = sample;

  const engine = new DockerEngine();
  const settings: BuildSettings = loadBuildSettings();
  const botSettings = loadBotSettings();
  const version = await engine.docker.version();
  if (!(await engine.inspectImage(config.builder))) throw new BenchError(`builder image ${config.builder} is not on the Docker engine; run bash .ci/setup`);
  const registryUp = await fetch(`http://${options.registry}/v2/`).then(
    (response) => response.status === 200 || response.status === 401,
    () => false,
  );
  if (!registryUp) throw new BenchError(`no registry answers on ${options.registry}; start one (bash .ci/setup) or pass --registry`);

  const github = new FakeGitHub({
    appRepo,
    configText: sample.configText,
    configRepo: config.gitops.repo,
    branch: config.gitops.branch ?? 'main',
    policyText: sample.policyText,
  });
  const log = new BotLog();
  const queue = new RunQueue({ concurrency: botSettings.concurrency });
  const images: string[] = [];
  const tags: string[] = [];
  const runTimeoutMs = settings.timeoutSeconds * 1000 + 120_000;

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ninterrupted: cleaning up (Ctrl-C again to quit at once, leaving images behind)');
    void removeBuildContainers(engine, tags.slice(-1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const botRound = async (bot: RunningBot, sha: string): Promise<BotRound> => {
    const firstRequest = github.requests.length;
    const firstDownload = github.downloads.length;
    const firstTree = github.trees.length;
    const errors = log.errors.length;
    images.push(`${repository}:${sha}`);

    // The production Octokit's write budget is shared by the process: let the previous deploy's last write age
    // out, so each push arrives at a quiet bot (the common case) and rounds do not depend on their order.
    const quietUntil = (github.requests.at(-1)?.at ?? 0) + QUIET_MS;
    if (quietUntil > performance.now()) await new Promise((resolveWait) => setTimeout(resolveWait, quietUntil - performance.now()));

    const sent = performance.now();
    const status = await bot.deliver(pushPayload(template, sha, sample.branch));
    const webhookMs = performance.now() - sent;
    if (status !== 200) throw new BenchError(`the bot answered the push webhook with HTTP ${status}`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BenchError(`the run of ${sha} did not finish within ${runTimeoutMs / 1000} s`)), runTimeoutMs);
    });
    await Promise.race([queue.onIdle(), timedOut]).finally(() => clearTimeout(timer));
    if (interrupted) throw new Interrupted();

    const requests = github.requests.slice(firstRequest);
    const problems = [...github.problems, ...log.errors.slice(errors)];
    const run = log.runs.get(sha);
    const deployed = requests.find((request) => request.check?.name === 's2i/deploy' && request.check.status === 'completed');
    const built = requests.find((request) => request.check?.name === 's2i/build' && request.check.status === 'completed');
    const failed = [built, deployed].find((request) => request !== undefined && request.check?.conclusion !== 'success');
    if (problems.length > 0 || !run || !built || !deployed || failed) {
      const title = (failed?.body as { output?: { title?: string } } | undefined)?.output?.title;
      throw new BenchError(
        [
          `the deploy of ${sha} did not succeed${failed ? `: ${failed.check?.name} ${failed.check?.conclusion ?? 'not completed'}${title ? ` (${title})` : ''}` : ''}`,
          ...problems.map((problem) => `  ${problem}`),
          !run ? '  the bot logged no "run finished" for it' : '',
          !built || !deployed ? `  not completed: ${[built ? '' : 's2i/build', deployed ? '' : 's2i/deploy'].filter(Boolean).join(', ')}` : '',
          `  GitHub calls: ${requests.map((request) => request.line).join(', ')}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }
    // The Deployment must pin exactly the digest the registry serves for the pushed tag.
    const deployment = github.trees.slice(firstTree).at(-1)?.tree.find((file) => file.path.endsWith('/deployment.yaml'));
    const digest = await fetch(`http://${options.registry}/v2/${repository.slice(options.registry.length + 1)}/manifests/${sha}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    }).then((response) => response.headers.get('docker-content-digest'));
    if (!digest || !deployment?.content.includes(`${repository}@${digest}`)) {
      throw new BenchError(`the committed Deployment of ${sha} does not pin ${repository}@${digest ?? '(no digest in the registry)'}`);
    }
    return {
      webhookMs,
      totalMs: deployed.at - sent,
      phases: run.timings,
      apiCalls: requests.filter((request) => !request.token).length,
      tokenRequests: requests.filter((request) => request.token).length,
      refreshes: requests.filter((request) => request.method === 'PATCH' && request.check && request.check.status === undefined).length,
      downloads: github.downloads.length - firstDownload,
      requests,
    };
  };

  const directRound = async (sha: string, archive: Buffer): Promise<DirectRound> => {
    images.push(`${directRepository}:${sha}`);
    const phases: Partial<Record<PipelinePhase, number>> = {};
    let current: { phase: PipelinePhase; since: number } | undefined;
    const enter = (phase?: PipelinePhase) => {
      const now = performance.now();
      if (current) phases[current.phase] = (phases[current.phase] ?? 0) + now - current.since;
      current = phase && { phase, since: now };
    };
    const started = performance.now();
    await buildImage(engine, settings, {
      builder: config.builder,
      repository: directRepository,
      tag: sha,
      source: () => {
        const gunzip = createGunzip();
        gunzip.end(archive);
        return gunzip;
      },
      stripComponents: 1,
      contextDir: config.contextDir,
      env: config.env,
      commit: { sha, ref: sample.branch, message: 'Benchmark commit' },
      sourceLocation: template.repository.html_url,
      pullAuth: (registry) => registryAuth(registry, process.env),
      onEvent: (event) => {
        if (event.kind === 'phase') enter(event.phase);
      },
    });
    enter('push');
    await pushImage(engine, directRepository, sha, process.env);
    enter();
    return { totalMs: performance.now() - started, phases };
  };

  console.log(`push → deploy benchmark: examples/hello-node with ${config.builder}, pushed to ${options.registry}/${BENCH_PATH}/`);
  console.log(`Docker server ${version.Version} (API ${version.ApiVersion}), Node.js ${process.version}; GitHub faked in-process (no network latency)`);
  console.log(
    `Octokit: ${options.octokit === 'production' ? 'production (throttled: 80 writes per minute, one at a time)' : 'unthrottled'}; check log refresh every ${botSettings.checkRefreshMs / 1000} s (S2I_CHECK_REFRESH_SECONDS)`,
  );
  console.log(`${options.rounds} round${options.rounds === 1 ? '' : 's'}, bot and direct build interleaved, after one warm-up round each\n`);

  github.start();
  let bot: RunningBot | undefined;
  try {
    bot = await startBot(
      // As src/index.ts wires it for `npm start`.
      s2iBot({ engine, settings, queue, env: process.env, checkRefreshMs: botSettings.checkRefreshMs, defaultBranches: new DefaultBranchCache(), commitFiles: new CommitFileCache() }),
      options.octokit,
      log,
    );
    const botRounds: BotRound[] = [];
    const directRounds: DirectRound[] = [];
    for (let round = 0; round <= options.rounds; round += 1) {
      if (interrupted) throw new Interrupted();
      const sha = randomBytes(20).toString('hex');
      tags.push(sha);
      const archive = await tarball(sample, appRepo, sha);
      github.addCommit(sha, archive);
      process.stdout.write(round === 0 ? 'warm-up   ' : `round ${String(round).padStart(2)}  `);
      // Alternate which goes first, so neither always runs right after the other's push.
      for (const method of round % 2 ? (['bot', 'direct'] as const) : (['direct', 'bot'] as const)) {
        if (method === 'bot') {
          const result = await botRound(bot, sha);
          if (round > 0) botRounds.push(result);
          const token = result.tokenRequests ? ` + ${result.tokenRequests} token` : '';
          process.stdout.write(`bot ${ms(result.totalMs)} ms (webhook ${result.webhookMs.toFixed(1)} ms, ${result.apiCalls} API calls${token})  `);
        } else {
          const result = await directRound(sha, archive).catch((error: unknown) => {
            throw interrupted ? new Interrupted() : error;
          });
          if (round > 0) directRounds.push(result);
          process.stdout.write(`direct ${ms(result.totalMs)} ms  `);
        }
        if (interrupted) throw new Interrupted();
      }
      process.stdout.write('\n');
    }
    console.log('\nverified: every s2i/build and s2i/deploy check succeeded; every committed Deployment pins the digest the registry serves\n');
    report(botRounds, directRounds, options);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await bot?.stop().catch((error: Error) => console.error(`clean-up: ${error.message}`));
    github.stop();
    await removeBuildContainers(engine, tags);
    await removeImages(engine, options.registry, images);
  }
}

runBenchmark(main);
