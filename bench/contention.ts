/**
 * Benchmark: N concurrent deploys into one config repo while something else writes to the same branch. The
 * bot's real writer (`GitHubConfigRepo`: Git Data API, fast-forward only, policy checked at each attempt's head,
 * writes serialised per branch inside the process, optimistic retry across processes) talks over HTTP to a fake
 * GitHub on loopback (bench/fake-git-data.ts) that answers every call after a fixed latency. The other writer is
 * one of:
 *
 * - `none`: nobody else writes;
 * - `pusher`: a commit lands on the branch every `--push-every` ms (a person or a CI job);
 * - `replica`: a second bot process (a worker thread, so its own write lock) deploys N other apps at the same time.
 *
 * It measures the time until all N deploys have landed, attempts per deploy, deploys that gave up after the
 * writer's 5 attempts, and checks the final tree: every file of every deploy that reported success, and of every
 * other writer's commit, must be there (lost = 0), and no ref update may use force.
 *
 *   npm run bench:contention [-- --rounds N --latency MS --sizes 5,20,50 --push-every MS]
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { text } from 'node:stream/consumers';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ProbotOctokit } from 'probot';
import { ConfigRepoError, type ConfigRepoWrite } from '../src/gitops/config-repo.js';
import { GitHubConfigRepo } from '../src/gitops/github-config-repo.js';
import { enforcePolicy } from '../src/policy/enforce-policy.js';
import { BenchError, Interrupted, median, readRounds, runBenchmark, table } from './bench-support.js';
import { FakeGitData } from './fake-git-data.js';

const CONFIG_REPO = 'acme/cluster-config';
const BRANCH = 'main';
const POLICY = 'allow:\n  - repo: acme/*\n    paths: ["apps/**"]\n    namespaces: [demo]\n';
const MOVERS = ['none', 'pusher', 'replica'] as const;
/** The writer's own bound (GitHubConfigRepo), for a deploy that gave up. */
const DEFAULT_ATTEMPTS = 5;

type Mover = (typeof MOVERS)[number];

interface Options {
  rounds: number;
  latencyMs: number;
  sizes: number[];
  pushEveryMs: number;
  /** The writer's bound on attempts per deploy (`maxAttempts`; default: the writer's own, 5). */
  attempts: number | undefined;
  /** The writer's first retry delay (`retryDelayMs`; default: the writer's own, 250 ms). */
  retryDelayMs: number | undefined;
}

/** How one deploy ended. */
interface DeployResult {
  app: string;
  ok: boolean;
  attempts: number;
  /** Files it wrote, path → content (checked against the final tree when it succeeded). */
  files: Record<string, string>;
}

/** One round of N deploys under one mover. */
interface Round {
  /** First request → last of the bot's N deploys finished, in ms. */
  totalMs: number;
  deploys: DeployResult[];
  /** The replica's deploys (mover `replica`). */
  others: DeployResult[];
  /** Commits of the pusher (mover `pusher`). */
  pushes: number;
  apiCalls: number;
  lost: string[];
  forced: number;
}

const USAGE = `Usage: npm run bench:contention [-- --rounds N --latency MS --sizes 5,20,50 --push-every MS --attempts N --retry-delay MS]

  --rounds N        rounds per size and mover (BENCH_ROUNDS, default 3)
  --latency MS      time the fake GitHub takes to answer each call (default 20)
  --sizes LIST      numbers of concurrent deploys (default 5,20,50)
  --push-every MS   how often the "pusher" commits to the branch (default 250)
  --attempts N      the writer's attempts per deploy (default: the writer's, 5)
  --retry-delay MS  the writer's first retry delay, doubled per retry (default: the writer's, 250)
`;

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string' },
      latency: { type: 'string', default: '20' },
      sizes: { type: 'string', default: '5,20,50' },
      'push-every': { type: 'string', default: '250' },
      attempts: { type: 'string' },
      'retry-delay': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const number = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new BenchError(`${name} must be a whole number, got "${text}"`);
    return value;
  };
  const sizes = values.sizes.split(',').map((size) => number('--sizes', size.trim()));
  if (sizes.some((size) => size < 1)) throw new BenchError('--sizes must list numbers of at least 1');
  return {
    rounds: readRounds(values.rounds ?? process.env.BENCH_ROUNDS ?? '3'),
    latencyMs: number('--latency', values.latency),
    sizes,
    pushEveryMs: Math.max(1, number('--push-every', values['push-every'])),
    attempts: values.attempts === undefined ? undefined : Math.max(1, number('--attempts', values.attempts)),
    retryDelayMs: values['retry-delay'] === undefined ? undefined : number('--retry-delay', values['retry-delay']),
  };
}

// ---------------------------------------------------------------------------------------------------------
// The deploys, as the bot makes them

/** What deploying app `name` writes: its Deployment and Service, in one commit. */
function deployOf(name: string, round: number): ConfigRepoWrite {
  const header = `# ${name}, round ${round}\n`;
  return {
    files: [
      { path: `apps/${name}/production/deployment.yaml`, content: `${header}kind: Deployment\nmetadata: { name: ${name}, namespace: demo }\n` },
      { path: `apps/${name}/production/service.yaml`, content: `${header}kind: Service\nmetadata: { name: ${name}, namespace: demo }\n` },
    ],
    message: `deploy(production): acme/${name}@1234567 Round ${round}`,
    environment: 'production',
    sourceRepo: `acme/${name}`,
  };
}

/** The bot's Octokit without throttling: the production one spaces writes 100 ms apart, which this would measure. */
const Octokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({ ...options, retry: { enabled: false }, throttle: { enabled: false } }));

/** The writer's retry settings under test; undefined fields keep its defaults. */
interface WriterSettings {
  attempts: number | undefined;
  retryDelayMs: number | undefined;
}

/** Deploys apps `<prefix>-00…` concurrently, each with its own writer, as the bot runs them. */
async function deployAll(baseUrl: string, prefix: string, count: number, round: number, writer: WriterSettings): Promise<DeployResult[]> {
  const octokit = new Octokit({ auth: { token: 'bench-token' }, baseUrl });
  const [owner, repo] = CONFIG_REPO.split('/');
  return Promise.all(
    Array.from({ length: count }, async (_, index): Promise<DeployResult> => {
      const name = `${prefix}-${String(index).padStart(2, '0')}`;
      const change = deployOf(name, round);
      const files = Object.fromEntries(change.files.map((file) => [file.path, file.content as string]));
      const configRepo = new GitHubConfigRepo({ octokit, owner, repo, branch: BRANCH, mode: 'commit', maxAttempts: writer.attempts, retryDelayMs: writer.retryDelayMs });
      try {
        const outcome = await configRepo.write(change, (read) => enforcePolicy(read, { repo: change.sourceRepo, files: Object.keys(files), namespaces: ['demo'] }));
        return { app: name, ok: true, attempts: outcome.attempts, files };
      } catch (error) {
        if (!(error instanceof ConfigRepoError) || !/kept moving/.test(error.reason)) throw error;
        return { app: name, ok: false, attempts: writer.attempts ?? DEFAULT_ATTEMPTS, files };
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------
// The fake GitHub on loopback

/** Serves `fake` over HTTP, answering each request after `latencyMs`. */
async function serve(fake: FakeGitData, latencyMs: number, counter: { calls: number }): Promise<Server> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    counter.calls += 1;
    text(request)
      .then(async (body) => {
        await new Promise((resolve) => setTimeout(resolve, latencyMs));
        const [status, data, headers] = fake.answer(request.method ?? 'GET', request.url ?? '/', body ? (JSON.parse(body) as unknown) : undefined) ?? [404, { message: 'Not Found' }];
        const raw = typeof data === 'string';
        response.writeHead(status, { 'content-type': raw ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8', ...headers });
        response.end(raw ? data : JSON.stringify(data));
      })
      .catch((error: Error) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: error.message }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A second bot process (its own module instances, so its own write lock), loaded and waiting for `go`. */
interface Replica {
  /** Starts its deploys; resolves with their results. */
  go(): Promise<DeployResult[]>;
}

function startReplica(baseUrl: string, count: number, round: number, writer: WriterSettings): Promise<Replica> {
  return new Promise((resolveReady, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { baseUrl, count, round, writer } });
    let finished: (results: DeployResult[]) => void = () => undefined;
    const done = new Promise<DeployResult[]>((resolve) => (finished = resolve));
    worker.on('message', (message: 'ready' | DeployResult[]) => {
      if (message === 'ready') resolveReady({ go: () => (worker.postMessage('go'), done) });
      else finished(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new BenchError(`the replica exited with code ${code}`)));
  });
}

async function runRound(options: Options, size: number, mover: Mover, round: number): Promise<Round> {
  const fake = new FakeGitData({ repo: CONFIG_REPO, branch: BRANCH, files: { '.github/s2i-policy.yml': POLICY, 'README.md': 'cluster config\n' } });
  const counter = { calls: 0 };
  const server = await serve(fake, options.latencyMs, counter);
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pushed: Record<string, string> = {};
  let pushes = 0;
  const pusher =
    mover === 'pusher'
      ? setInterval(() => {
          pushes += 1;
          const path = `other/change-${pushes}.yaml`;
          pushed[path] = `change ${pushes}\n`;
          fake.pushExternal({ [path]: pushed[path] });
        }, options.pushEveryMs)
      : undefined;
  try {
    // The replica's start-up (loading the bot's modules) is not timed: both processes start deploying together.
    const replica = mover === 'replica' ? await startReplica(baseUrl, size, round, options) : undefined;
    const started = performance.now();
    const othersDone = replica ? replica.go() : Promise.resolve([]);
    const deploys = await deployAll(baseUrl, 'app', size, round, options);
    const totalMs = performance.now() - started;
    const others = await othersDone;
    clearInterval(pusher);
    const head = fake.filesAt();
    const expected = [...[...deploys, ...others].filter((deploy) => deploy.ok).flatMap((deploy) => Object.entries(deploy.files)), ...Object.entries(pushed)];
    const lost = expected.filter(([path, content]) => head.get(path) !== content).map(([path]) => path);
    return { totalMs, deploys, others, pushes, apiCalls: counter.calls, lost, forced: fake.refUpdates.filter((update) => update.force).length };
  } finally {
    clearInterval(pusher);
    await new Promise((resolve) => server.close(resolve));
  }
}

// ---------------------------------------------------------------------------------------------------------
// The report

function report(options: Options, results: Array<{ size: number; mover: Mover; rounds: Round[] }>): void {
  const rows = [['N', 'other writer', 'all landed (s, median)', 'attempts mean', 'attempts max', 'gave up', 'other writer landed', 'API calls/deploy', 'lost', 'forced']];
  for (const { size, mover, rounds } of results) {
    const deploys = rounds.flatMap((round) => round.deploys);
    const attempts = deploys.map((deploy) => deploy.attempts);
    const others = rounds.flatMap((round) => round.others);
    const other =
      mover === 'replica'
        ? `${others.filter((deploy) => deploy.ok).length}/${others.length} deploys, attempts max ${Math.max(...others.map((deploy) => deploy.attempts))}`
        : mover === 'pusher'
          ? `${rounds.reduce((sum, round) => sum + round.pushes, 0)} commits`
          : '-';
    rows.push([
      String(size),
      mover === 'pusher' ? `pusher (${options.pushEveryMs} ms)` : mover,
      (median(rounds.map((round) => round.totalMs)) / 1000).toFixed(2),
      (attempts.reduce((sum, value) => sum + value, 0) / attempts.length).toFixed(2),
      String(Math.max(...attempts)),
      String(deploys.filter((deploy) => !deploy.ok).length),
      other,
      (rounds.reduce((sum, round) => sum + round.apiCalls, 0) / (deploys.length + others.length)).toFixed(1),
      String(rounds.reduce((sum, round) => sum + round.lost.length, 0)),
      String(rounds.reduce((sum, round) => sum + round.forced, 0)),
    ]);
  }
  console.log(`\n${table(rows)}\n`);
  console.log(
    [
      `Each cell: ${options.rounds} round(s); every call answered after ${options.latencyMs} ms; the writer: ${options.attempts ?? `${DEFAULT_ATTEMPTS} (default)`} attempts, first retry after ${options.retryDelayMs ?? '250 (default)'} ms, doubled per retry, jittered, at most 2 s.`,
      '"attempts" count tries per deploy of this process (1 = no retry); "gave up": deploys that failed after the last attempt ("kept moving").',
      '"lost": files of a successful deploy or of the other writer missing from the final tree; "forced": ref updates with force. Both must be 0.',
      'The production Octokit also spaces writes 100 ms apart within a budget of 80 per minute (3 writes per deploy); this benchmark leaves that out.',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const options = readOptions();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    console.log(`Concurrent deploys into one config repo (${options.latencyMs} ms per GitHub call), ${options.rounds} round(s) each\n`);
    const results: Array<{ size: number; mover: Mover; rounds: Round[] }> = [];
    for (const size of options.sizes) {
      for (const mover of MOVERS) {
        const rounds: Round[] = [];
        process.stdout.write(`N=${String(size).padEnd(3)} ${mover.padEnd(8)} `);
        for (let round = 1; round <= options.rounds; round += 1) {
          const result = await runRound(options, size, mover, round);
          if (result.lost.length > 0) throw new BenchError(`round ${round} lost ${result.lost.length} files: ${result.lost.slice(0, 5).join(', ')}`);
          if (result.forced > 0) throw new BenchError(`round ${round} updated the branch with force ${result.forced} times`);
          rounds.push(result);
          process.stdout.write(`${(result.totalMs / 1000).toFixed(2)} s  `);
          if (interrupted) throw new Interrupted();
        }
        process.stdout.write('\n');
        results.push({ size, mover, rounds });
      }
    }
    report(options, results);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (isMainThread) {
  runBenchmark(main);
} else {
  // The replica: another bot process deploying its own apps into the same branch, when told to.
  const { baseUrl, count, round, writer } = workerData as { baseUrl: string; count: number; round: number; writer: WriterSettings };
  parentPort?.once('message', () => {
    deployAll(baseUrl, 'replica', count, round, writer).then((results) => parentPort?.postMessage(results));
  });
  parentPort?.postMessage('ready');
}
