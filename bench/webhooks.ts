/**
 * Benchmark: how fast the bot answers webhooks, idle and while it builds. The bot runs as `npm start` runs it, in
 * its own process (bench/bot-process.ts); this process sends signed `push` webhooks over keep-alive HTTP and plays
 * GitHub. Each push is accepted by the guards and queued; its run reads `.github/s2i.yml` at the commit, finds none
 * (404) and ends: the cheapest real run. Measured twice: with nothing else going on, and while the bot builds
 * examples/hello-node-deps (200 dependencies, `npm ci` offline) with s2i-bot/builder-nodejs:local, one build after
 * the other, each pushed to the registry and deployed.
 *
 *   npm run bench:webhooks [-- --seconds N --rate N --connections N --registry HOST:PORT]
 *
 * See bench/README.md.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DockerEngine } from '../src/docker/docker-engine.js';
import type { PushPayload } from '../src/events/push-event.js';
import { BenchError, Interrupted, median, percentile, projectRoot, recordSummary, table } from './bench-support.js';
import { BotProcess, FakeGitHubServer, removePushedImages, signedPush, sleep, writeTarball, type CheckEvent, type SignedWebhook } from './bot-process.js';

const BUILDER = 's2i-bot/builder-nodejs:local';
const CONFIG_REPO = 'Codertocat/cluster-config';
/** The goals of the issue this benchmark measures. */
const GOAL_P99_MS = 50;
const GOAL_RATE = 500;
/** Distinct push bodies the senders cycle through (each a different commit, none with a config). */
const BODIES = 2000;

interface Options {
  seconds: number;
  rate: number;
  connections: number;
  registry: string;
}

const USAGE = `Usage: npm run bench:webhooks [-- --seconds N --rate N --connections N --registry HOST:PORT]

  --seconds N       length of each measurement (BENCH_WEBHOOK_SECONDS, default 8)
  --rate N          webhooks per second sent for the latency measurement (BENCH_WEBHOOK_RATE, default ${GOAL_RATE})
  --connections N   keep-alive connections of the throughput measurement (BENCH_WEBHOOK_CONNECTIONS, default 8)
  --registry H:P    registry the background builds push to (BENCH_REGISTRY, default 127.0.0.1:5000)
`;

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      seconds: { type: 'string' },
      rate: { type: 'string' },
      connections: { type: 'string' },
      registry: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new BenchError(`${name} must be a positive integer, got "${text}"`);
    return value;
  };
  return {
    seconds: positive('seconds', values.seconds ?? process.env.BENCH_WEBHOOK_SECONDS ?? '8'),
    rate: positive('rate', values.rate ?? process.env.BENCH_WEBHOOK_RATE ?? String(GOAL_RATE)),
    connections: positive('connections', values.connections ?? process.env.BENCH_WEBHOOK_CONNECTIONS ?? '8'),
    registry: values.registry ?? process.env.BENCH_REGISTRY ?? '127.0.0.1:5000',
  };
}

/** What one condition (idle, or building) measured. */
interface Measurement {
  /** Webhooks answered per second with as many in flight as there are connections. */
  throughput: number;
  throughputSent: number;
  /** Answer times at the fixed rate, in ms. */
  latencies: number[];
  /** Webhooks the fixed-rate sender sent per second, as it managed. */
  rateSent: number;
  /** Answers other than 200, over both measurements. */
  failures: number;
}

/** Sends webhooks, `connections` at a time, for `seconds`: how many per second the bot answers. */
async function saturate(bot: BotProcess, bodies: SignedWebhook[], connections: number, seconds: number, next: () => string): Promise<{ perSecond: number; sent: number; failures: number }> {
  const end = performance.now() + seconds * 1000;
  let sent = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const status = await bot.deliver('push', bodies[sent % bodies.length], next());
        sent += 1;
        if (status !== 200) failures += 1;
      }
    }),
  );
  return { perSecond: sent / ((performance.now() - started) / 1000), sent, failures };
}

/** Sends `rate` webhooks per second for `seconds`, not waiting for answers: each one's answer time. */
async function atRate(bot: BotProcess, bodies: SignedWebhook[], rate: number, seconds: number, next: () => string): Promise<{ latencies: number[]; perSecond: number; failures: number }> {
  const latencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  let failures = 0;
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
  return { latencies, perSecond: sent / seconds, failures };
}

/** Waits until no run waits in the bot's queue, as its own /metrics says. */
async function drained(bot: BotProcess): Promise<void> {
  const deadline = performance.now() + 120_000;
  while ((await bot.metric('s2i_bot_queue_depth')) !== 0) {
    if (performance.now() > deadline) throw new BenchError('the bot\'s queue did not drain within 120 s');
    await sleep(200);
  }
}

async function measure(bot: BotProcess, bodies: SignedWebhook[], options: Options, next: () => string, label: string): Promise<Measurement> {
  const saturated = await saturate(bot, bodies, options.connections, options.seconds, next);
  console.log(`  ${label}: ${saturated.perSecond.toFixed(0)} webhooks/s with ${options.connections} connections (${saturated.sent} sent)`);
  await drained(bot);
  const paced = await atRate(bot, bodies, options.rate, options.seconds, next);
  console.log(
    `  ${label}: at ${paced.perSecond.toFixed(0)}/s answered in ${median(paced.latencies).toFixed(1)} ms median, ${percentile(paced.latencies, 0.99).toFixed(1)} ms p99 (${paced.latencies.length} webhooks)`,
  );
  await drained(bot);
  return { throughput: saturated.perSecond, throughputSent: saturated.sent, latencies: paced.latencies, rateSent: paced.perSecond, failures: saturated.failures + paced.failures };
}

/** How much of [from, to] a build was running (its tarball fetched, its s2i/build not yet concluded). */
function buildShare(builds: Array<{ start: number; end?: number }>, from: number, to: number): number {
  let covered = 0;
  for (const build of builds) covered += Math.max(0, Math.min(build.end ?? to, to) - Math.max(build.start, from));
  return covered / (to - from);
}

async function main(): Promise<void> {
  const options = readOptions();
  const root = projectRoot();
  const require = createRequire(import.meta.url);
  const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
  const template = examples.find((entry) => entry.name === 'push')?.examples.find((push) => push.ref.startsWith('refs/heads/') && push.installation && push.head_commit);
  if (!template) throw new BenchError('@octokit/webhooks-examples has no push to a branch with an installation');
  const appRepo = template.repository.full_name;
  const engine = new DockerEngine();
  if (!(await engine.inspectImage(BUILDER))) throw new BenchError(`builder image ${BUILDER} is not on the Docker engine; run bash .ci/setup`);
  const registryUp = await fetch(`http://${options.registry}/v2/`).then(
    (response) => response.status === 200 || response.status === 401,
    () => false,
  );
  if (!registryUp) throw new BenchError(`no registry answers on ${options.registry}; start one (bash .ci/setup) or pass --registry`);

  const repository = `${options.registry}/s2i-bot-bench/webhooks`;
  const config = `builder: ${BUILDER}\nimage: ${repository}\nincremental: false\ndeploy: { name: hello, namespace: demo }\ngitops: { repo: ${CONFIG_REPO}, branch: main }\n`;
  const policy = `allow:\n  - repo: ${appRepo}\n    paths: ["apps/hello/**"]\n    namespaces: [demo]\n`;
  const work = await mkdtemp(join(tmpdir(), 's2i-bot-bench-webhooks-'));
  const github = new FakeGitHubServer({ appRepo, configRepo: CONFIG_REPO, configBranch: 'main', policyText: policy });
  const pushed: string[] = [];
  let bot: BotProcess | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ninterrupted: cleaning up (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // The sample as GitHub serves it: one top-level folder.
    const top = join(work, 'source', `${appRepo.replace('/', '-')}-bench`);
    await cp(join(root, 'examples', 'hello-node-deps'), top, { recursive: true });
    const archive = join(work, 'hello-node-deps.tar.gz');
    await writeTarball(join(work, 'source'), archive);
    await github.start();
    // The builds need no network: hello-node-deps installs from its vendored tarballs.
    bot = await BotProcess.start(github, join(work, 'bot.log'), { S2I_BUILD_NETWORK: 'none' });

    const bodies = Array.from({ length: BODIES }, () => signedPush(template, randomBytes(20).toString('hex')));
    let deliveries = 0;
    const next = () => `bench-${process.pid}-${(deliveries += 1)}`;
    console.log(`webhook benchmark: signed push webhooks to the bot (npm start, its own process, pid ${bot.pid}) over keep-alive HTTP`);
    console.log(`each push is queued; its run reads .github/s2i.yml, finds none (404) and ends; background builds: examples/hello-node-deps with ${BUILDER}`);
    console.log(`${options.seconds} s at ${options.connections} connections (throughput), then ${options.seconds} s at ${options.rate}/s (answer time), idle and while building\n`);

    // Warm-up: connections, the installation token, JIT.
    await saturate(bot, bodies, options.connections, 2, next);
    await drained(bot);
    const idle = await measure(bot, bodies, options, next, 'idle    ');
    if (interrupted) throw new Interrupted();

    // One build after the other until both measurements are done.
    const builds: Array<{ sha: string; start: number; end?: number }> = [];
    let building = true;
    let buildFailure: string | undefined;
    const onDownload = (sha: string) => {
      const build = builds.find((candidate) => candidate.sha === sha);
      if (build && build.start === 0) build.start = performance.now();
    };
    const onCheck = (event: CheckEvent) => {
      const build = builds.find((candidate) => candidate.sha === event.sha);
      if (!build || event.name !== 's2i/build' || event.status !== 'completed') return;
      build.end = event.at;
      if (event.conclusion !== 'success') buildFailure ??= `the background build of ${event.sha} concluded ${event.conclusion}`;
    };
    github.on('download', onDownload);
    github.on('check', onCheck);
    const running = bot;
    const buildLoop = (async () => {
      while (building && !buildFailure) {
        const sha = randomBytes(20).toString('hex');
        github.addCommit(sha, config, archive);
        builds.push({ sha, start: 0 });
        pushed.push(`${repository}:${sha}`);
        const finished = running.waitForLog('run finished', (line) => line.sha === sha, 600_000);
        const status = await running.deliver('push', signedPush(template, sha), `bench-build-${sha}`);
        if (status !== 200) throw new BenchError(`the bot answered a build push with HTTP ${status}`);
        await finished;
      }
    })();
    const started = performance.now();
    while (!builds.some((build) => build.start > 0)) {
      if (performance.now() - started > 60_000) throw new BenchError('the first background build did not fetch its source within 60 s');
      await sleep(50);
    }
    // Let the build get to assemble (npm ci) before measuring.
    await sleep(1000);
    const from = performance.now();
    const busy = await measure(bot, bodies, options, next, 'building');
    const to = performance.now();
    building = false;
    console.log('\nwaiting for the build in flight to finish…');
    await buildLoop;
    github.off('download', onDownload);
    github.off('check', onCheck);
    if (buildFailure) throw new BenchError(buildFailure);
    if (github.problems.length > 0 || bot.errors.length > 0) throw new BenchError(`the run was not clean:\n${[...github.problems, ...bot.errors].join('\n')}`);

    // The bot's own count must match what was answered 200.
    const answered = deliveries + builds.length;
    const counted = await bot.metric('s2i_bot_webhooks_received_total{event="push"}');
    if (counted !== answered) throw new BenchError(`the bot counted ${counted} push deliveries, ${answered} were sent`);
    const share = buildShare(builds, from, to);
    const completed = builds.filter((build) => build.end !== undefined && build.end <= to && build.end >= from).length;
    console.log(`verified: every webhook answered 200 and counted by the bot (${counted}); ${github.counts.configMissing} runs read a missing config; every background build succeeded`);
    console.log(`a build was running ${(share * 100).toFixed(0)} % of the measured time while building (${completed} builds ended in it)\n`);

    report(idle, busy, options);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await bot?.stop();
    await github.stop();
    await removePushedImages(engine, options.registry, pushed);
    await rm(work, { recursive: true, force: true });
  }
}

function report(idle: Measurement, busy: Measurement, options: Options): void {
  const p = (samples: number[], fraction: number) => percentile(samples, fraction);
  const row = (label: string, idleValue: number, busyValue: number, digits: number): string[] => [label, idleValue.toFixed(digits), busyValue.toFixed(digits), (busyValue / idleValue).toFixed(2)];
  console.log(
    table([
      ['', 'idle', 'building', 'building/idle'],
      row(`throughput, webhooks/s (${options.connections} connections)`, idle.throughput, busy.throughput, 0),
      row(`answer p50 ms at ${options.rate}/s`, median(idle.latencies), median(busy.latencies), 1),
      row(`answer p99 ms at ${options.rate}/s`, p(idle.latencies, 0.99), p(busy.latencies, 0.99), 1),
      row(`answer max ms at ${options.rate}/s`, Math.max(...idle.latencies), Math.max(...busy.latencies), 1),
      row('sent at the fixed rate, webhooks/s', idle.rateSent, busy.rateSent, 0),
    ]),
  );
  const worstP99 = Math.max(p(idle.latencies, 0.99), p(busy.latencies, 0.99));
  const worstRate = Math.min(idle.throughput, busy.throughput);
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log('\ngoals (printed, never enforced):');
  console.log(`  answer p99 < ${GOAL_P99_MS} ms (at ${options.rate}/s, worse of idle and building): ${worstP99.toFixed(1)} ms — ${met(worstP99 < GOAL_P99_MS)}`);
  console.log(`  ≥ ${GOAL_RATE} webhooks/s sustained (worse of idle and building): ${worstRate.toFixed(0)}/s — ${met(worstRate >= GOAL_RATE)}`);
  recordSummary('webhooks', [
    { figure: 'webhook answer p50, idle / building', value: `${median(idle.latencies).toFixed(1)} / ${median(busy.latencies).toFixed(1)} ms` },
    { figure: `webhook answer p99 at ${options.rate}/s, idle / building`, value: `${p(idle.latencies, 0.99).toFixed(1)} / ${p(busy.latencies, 0.99).toFixed(1)} ms`, goal: `< ${GOAL_P99_MS} ms`, met: worstP99 < GOAL_P99_MS },
    {
      figure: 'webhooks/s sustained, idle / building',
      value: `${idle.throughput.toFixed(0)} / ${busy.throughput.toFixed(0)} (${(busy.throughput / idle.throughput).toFixed(2)}×)`,
      goal: `≥ ${GOAL_RATE}`,
      met: worstRate >= GOAL_RATE,
    },
  ]);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof Interrupted) process.exit(130);
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
