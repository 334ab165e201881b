/**
 * Benchmark: how fast the bot answers webhooks, idle and while a build runs on the engine. The bot runs as
 * `npm start` runs it, in its own process (bench/bot-process.ts); this process sends signed `push` webhooks over
 * keep-alive HTTP and plays GitHub. Each push is accepted by the guards and starts a run, which reads
 * `.github/s2i.yml` at the commit, finds none (404) and ends before it needs a build slot: the cheapest real run. Measured twice: with nothing else going on, and
 * while `s2i-bot build` builds examples/hello-node-deps (200 dependencies, `npm ci` offline) with
 * s2i-bot/builder-nodejs:local, one build after the other.
 *
 *   npm run bench:webhooks [-- --seconds N --rate N --connections N]
 *
 * See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DockerEngine } from '../src/docker/docker-engine.js';
import type { PushPayload } from '../src/events/push-event.js';
import { BenchError, Interrupted, median, percentile, projectRoot, readStringOptions, recordSummary, runBenchmark, table, wholeNumber } from './bench-support.js';
import { BotProcess, FakeGitHubServer, signedPush, sleep, type SignedWebhook } from './bot-process.js';

const BUILDER = 's2i-bot/builder-nodejs:local';
/** The goals of the issue this benchmark measures. */
const GOAL_P99_MS = 50;
const GOAL_RATE = 500;
/** A steady rate well under the goal, for the answer time of a bot that is not pushed to its limit. */
const MODERATE_RATE = 100;
/** Length of the throughput measurement: every webhook of it starts a run, which the bot works off afterwards. */
const SATURATE_SECONDS = 3;
/** Distinct push bodies the senders cycle through (each a different commit, none with a config). */
const BODIES = 2000;

interface Options {
  seconds: number;
  rate: number;
  connections: number;
}

const USAGE = `Usage: npm run bench:webhooks [-- --seconds N --rate N --connections N]

  --seconds N       length of each answer-time measurement (BENCH_WEBHOOK_SECONDS, default 5)
  --rate N          webhooks per second of the second answer-time measurement (BENCH_WEBHOOK_RATE, default ${GOAL_RATE});
                    the first one sends ${MODERATE_RATE} per second
  --connections N   keep-alive connections of the ${SATURATE_SECONDS} s throughput measurement (BENCH_WEBHOOK_CONNECTIONS, default 8)
`;

function readOptions(): Options {
  const values = readStringOptions(['seconds', 'rate', 'connections'], USAGE);
  return {
    seconds: wholeNumber('seconds', values.seconds ?? process.env.BENCH_WEBHOOK_SECONDS ?? '5', 1),
    rate: wholeNumber('rate', values.rate ?? process.env.BENCH_WEBHOOK_RATE ?? String(GOAL_RATE), 1),
    connections: wholeNumber('connections', values.connections ?? process.env.BENCH_WEBHOOK_CONNECTIONS ?? '8', 1),
  };
}

/** Answer times (ms) of webhooks sent at a fixed rate, and the rate the sender managed. */
interface Paced {
  latencies: number[];
  perSecond: number;
}

/** What one condition (idle, or building) measured. */
interface Measurement {
  moderate: Paced;
  goal: Paced;
  /** Webhooks answered per second with as many in flight as there are connections. */
  throughput: number;
  /** Runs of these webhooks that had not read their config yet when the measurements ended. */
  backlog: number;
}

/** Counts answers other than 200; the benchmark is broken when there is one. */
let failures = 0;

/** Sends webhooks, `connections` at a time, for `seconds`: how many per second the bot answers. */
async function saturate(bot: BotProcess, bodies: SignedWebhook[], connections: number, seconds: number, next: () => string): Promise<number> {
  const started = performance.now();
  const end = started + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const status = await bot.deliver('push', bodies[sent % bodies.length], next());
        sent += 1;
        if (status !== 200) failures += 1;
      }
    }),
  );
  return sent / ((performance.now() - started) / 1000);
}

/**
 * Sends `rate` webhooks per second for `seconds`, each on time whether or not earlier ones were answered (an open
 * loop, as GitHub sends): each one's answer time.
 */
async function atRate(bot: BotProcess, bodies: SignedWebhook[], rate: number, seconds: number, next: () => string): Promise<Paced> {
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  const interval = 1000 / rate;
  const started = performance.now();
  const end = started + seconds * 1000;
  let due = started;
  let sent = 0;
  while (performance.now() < end) {
    while (due <= performance.now() && due < end) {
      const body = bodies[sent % bodies.length];
      sent += 1;
      due += interval;
      const sentAt = performance.now();
      pending.push(
        bot.deliver('push', body, next()).then((status) => {
          latencies.push(performance.now() - sentAt);
          if (status !== 200) failures += 1;
        }),
      );
    }
    await sleep(1);
  }
  await Promise.all(pending);
  return { latencies, perSecond: sent / seconds };
}

/** Runs of the webhooks sent so far that have not read their config yet (GitHub's view: the fake counts the reads). */
function backlog(github: FakeGitHubServer, sent: () => number): number {
  return sent() - github.counts.configMissing;
}

/** Waits until the run of every webhook sent so far has read its config. */
async function settled(github: FakeGitHubServer, sent: () => number): Promise<void> {
  const deadline = performance.now() + 300_000;
  while (backlog(github, sent) > 0) {
    if (performance.now() > deadline) throw new BenchError(`${backlog(github, sent)} runs did not read their config within 300 s`);
    await sleep(250);
  }
}

const describePaced = (paced: Paced) =>
  `at ${paced.perSecond.toFixed(0)}/s answered in ${median(paced.latencies).toFixed(1)} ms median, ${percentile(paced.latencies, 0.99).toFixed(1)} ms p99 (${paced.latencies.length} webhooks)`;

/** The three measurements of one condition, back to back; runs pile up meanwhile. */
async function measure(bot: BotProcess, github: FakeGitHubServer, bodies: SignedWebhook[], options: Options, next: () => string, sent: () => number, label: string): Promise<Measurement> {
  const moderate = await atRate(bot, bodies, MODERATE_RATE, options.seconds, next);
  console.log(`  ${label}: ${describePaced(moderate)}`);
  const goal = await atRate(bot, bodies, options.rate, options.seconds, next);
  console.log(`  ${label}: ${describePaced(goal)}`);
  const throughput = await saturate(bot, bodies, options.connections, SATURATE_SECONDS, next);
  const left = backlog(github, sent);
  console.log(`  ${label}: ${throughput.toFixed(0)} webhooks/s answered with ${options.connections} connections; ${left} runs had not read their config yet`);
  return { moderate, goal, throughput, backlog: left };
}

/** One background build: the `s2i-bot build` process's start and end. */
interface Build {
  start: number;
  end?: number;
}

/** How much of [from, to] a build was running. */
function buildShare(builds: Build[], from: number, to: number): number {
  let covered = 0;
  for (const build of builds) covered += Math.max(0, Math.min(build.end ?? to, to) - Math.max(build.start, from));
  return covered / (to - from);
}

/**
 * Builds examples/hello-node-deps with `s2i-bot build` (the product's CLI: the same build engine, in its own
 * process) one build after the other until `stop()`, each tagged `<repository>:<n>`. A failed build stops the loop
 * and rejects `done`.
 */
function buildLoop(root: string, repository: string): { builds: Build[]; tags: string[]; stop: () => void; done: Promise<void> } {
  const builds: Build[] = [];
  const tags: string[] = [];
  let stopped = false;
  const once = (tag: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [join(root, 'dist', 'src', 'cli', 'main.js'), 'build', join(root, 'examples', 'hello-node-deps'), '--builder', BUILDER, '--image', tag, '--no-incremental', '--quiet'],
        // npm ci installs from the vendored tarballs: the build needs no network.
        { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, S2I_BUILD_NETWORK: 'none' } },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new BenchError(`the background build ${tag} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
    });
  const done = (async () => {
    while (!stopped) {
      const tag = `${repository}:${builds.length + 1}`;
      tags.push(tag);
      const build: Build = { start: performance.now() };
      builds.push(build);
      await once(tag);
      build.end = performance.now();
    }
  })();
  return { builds, tags, stop: () => (stopped = true), done };
}

async function main(): Promise<void> {
  const options = readOptions();
  const root = projectRoot();
  const require = createRequire(import.meta.url);
  const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
  const template = examples.find((entry) => entry.name === 'push')?.examples.find((push) => push.ref.startsWith('refs/heads/') && push.installation && push.head_commit);
  if (!template) throw new BenchError('@octokit/webhooks-examples has no push to a branch with an installation');
  const engine = new DockerEngine();
  if (!(await engine.inspectImage(BUILDER))) throw new BenchError(`builder image ${BUILDER} is not on the Docker engine; run bash .ci/setup`);

  const work = await mkdtemp(join(tmpdir(), 's2i-bot-bench-webhooks-'));
  const github = new FakeGitHubServer({ appRepo: template.repository.full_name });
  let bot: BotProcess | undefined;
  let background: ReturnType<typeof buildLoop> | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    background?.stop();
    console.error('\ninterrupted: cleaning up (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await github.start();
    bot = await BotProcess.start(github, join(work, 'bot.log'));
    const bodies = Array.from({ length: BODIES }, () => signedPush(template, randomBytes(20).toString('hex')));
    let deliveries = 0;
    const next = () => `bench-${process.pid}-${(deliveries += 1)}`;
    const sent = () => deliveries;
    console.log(`webhook benchmark: signed push webhooks to the bot (npm start, its own process, pid ${bot.pid}) over keep-alive HTTP`);
    console.log('each push is accepted and starts a run, which reads .github/s2i.yml at the commit, finds none (404) and ends');
    console.log(`building: s2i-bot build examples/hello-node-deps --builder ${BUILDER} (npm ci of 200 packages, offline), one after the other`);
    console.log(`idle and building: ${options.seconds} s at ${MODERATE_RATE}/s, ${options.seconds} s at ${options.rate}/s (answer time), ${SATURATE_SECONDS} s with ${options.connections} connections (throughput)`);
    console.log(`Node.js ${process.version}, ${cpus().length} CPUs, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')} (other work on the machine moves every figure)\n`);

    // Warm-up: connections, the installation token, JIT.
    await atRate(bot, bodies, 200, 2, next);
    await settled(github, sent);
    const idle = await measure(bot, github, bodies, options, next, sent, 'idle    ');
    if (interrupted) throw new Interrupted();

    // The builds start while the bot works off the runs of the idle measurements; both conditions start without any.
    background = buildLoop(root, 's2i-bot-bench/webhooks-build');
    const failed = background.done.then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    // At least into the first build's assemble (npm ci).
    await Promise.all([settled(github, sent), sleep(3000)]);
    const from = performance.now();
    const busy = await measure(bot, github, bodies, options, next, sent, 'building');
    const to = performance.now();
    background.stop();
    console.log('\nwaiting for the build in flight to finish…');
    const failure = await failed;
    if (failure) throw failure;
    if (interrupted) throw new Interrupted();
    if (failures > 0) throw new BenchError(`${failures} webhooks were not answered 200`);
    if (github.problems.length > 0 || bot.errors.length > 0) throw new BenchError(`the run was not clean:\n${[...github.problems, ...bot.errors].join('\n')}`);

    // The bot's own counters must agree with what was sent.
    const counted = await bot.metric('s2i_bot_webhooks_received_total{event="push"}');
    if (counted !== deliveries) throw new BenchError(`the bot counted ${counted} push deliveries, ${deliveries} were sent`);
    const { builds } = background;
    console.log(`verified: every webhook answered 200 and counted by the bot (${counted}); ${github.counts.configMissing} of their runs ran by now (each read a missing config); every background build succeeded`);
    console.log(`a build was running ${(buildShare(builds, from, to) * 100).toFixed(0)} % of the time measured while building (${builds.length} builds)\n`);

    report(idle, busy, options);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    background?.stop();
    await background?.done.catch(() => undefined);
    await bot?.stop();
    await github.stop();
    for (const tag of background?.tags ?? []) {
      await engine.docker
        .getImage(tag)
        .remove()
        .catch(() => undefined);
    }
    await rm(work, { recursive: true, force: true });
  }
}

function report(idle: Measurement, busy: Measurement, options: Options): void {
  const p99 = (paced: Paced) => percentile(paced.latencies, 0.99);
  const row = (label: string, value: (measurement: Measurement) => number, digits: number): string[] => [
    label,
    value(idle).toFixed(digits),
    value(busy).toFixed(digits),
    (value(busy) / value(idle)).toFixed(2),
  ];
  console.log(
    table([
      ['', 'idle', 'building', 'building/idle'],
      row(`answer p50 ms at ${MODERATE_RATE}/s`, (measurement) => median(measurement.moderate.latencies), 1),
      row(`answer p99 ms at ${MODERATE_RATE}/s`, (measurement) => p99(measurement.moderate), 1),
      row(`answer p50 ms at ${options.rate}/s`, (measurement) => median(measurement.goal.latencies), 1),
      row(`answer p99 ms at ${options.rate}/s`, (measurement) => p99(measurement.goal), 1),
      row(`answer max ms at ${options.rate}/s`, (measurement) => Math.max(...measurement.goal.latencies), 1),
      row(`throughput, webhooks/s answered (${options.connections} connections)`, (measurement) => measurement.throughput, 0),
      row('runs that had not read their config after the three', (measurement) => measurement.backlog, 0),
    ]),
  );
  const worstP99 = Math.max(p99(idle.goal), p99(busy.goal));
  const worstRate = Math.min(idle.throughput, busy.throughput);
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('\ngoals (printed, never enforced):');
  console.log(`  answer p99 < ${GOAL_P99_MS} ms at ${options.rate} webhooks/s (worse of idle and building): ${worstP99.toFixed(1)} ms — ${met(worstP99 < GOAL_P99_MS)}`);
  console.log(`  ≥ ${GOAL_RATE} webhooks/s answered (worse of idle and building): ${worstRate.toFixed(0)}/s — ${met(worstRate >= GOAL_RATE)}`);
  const pair = (value: (measurement: Measurement) => number, digits: number, unit: string) => `${value(idle).toFixed(digits)} / ${value(busy).toFixed(digits)}${unit}`;
  recordSummary('webhooks', [
    { figure: `webhook answer p50 / p99 at ${MODERATE_RATE}/s, idle`, value: `${median(idle.moderate.latencies).toFixed(1)} / ${p99(idle.moderate).toFixed(1)} ms` },
    { figure: `webhook answer p50 / p99 at ${MODERATE_RATE}/s, building`, value: `${median(busy.moderate.latencies).toFixed(1)} / ${p99(busy.moderate).toFixed(1)} ms` },
    { figure: `webhook answer p99 at ${options.rate}/s, idle / building`, value: pair((measurement) => p99(measurement.goal), 1, ' ms'), goal: `< ${GOAL_P99_MS} ms`, met: worstP99 < GOAL_P99_MS },
    {
      figure: 'webhooks/s answered, idle / building',
      value: `${pair((measurement) => measurement.throughput, 0, '')} (${(busy.throughput / idle.throughput).toFixed(2)}×)`,
      goal: `≥ ${GOAL_RATE}/s`,
      met: worstRate >= GOAL_RATE,
    },
  ]);
}

runBenchmark(main);
