/**
 * Benchmark: the bot's memory while it builds a large source tree. The bot runs as `npm start` runs it, in its own
 * process (bench/bot-process.ts), against a fake GitHub on loopback that serves a generated tree of ≥ 200 MB of
 * incompressible files as the commit's tarball. One signed push; the bot streams the tarball through its source
 * path (download → gunzip → sanitise and spool → upload into the build container), builds it with
 * s2i-bot/builder-html:local, pushes the image to the registry and deploys it to the fake config repo. Its
 * resident memory is read from /proc every 20 ms, and its high-water mark (VmHWM) at the end; the baseline is the
 * same process idle before the push.
 *
 *   npm run bench:memory [-- --big N --small N --registry HOST:PORT]
 *
 * See bench/README.md.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DockerEngine } from '../src/docker/docker-engine.js';
import type { PushPayload } from '../src/events/push-event.js';
import { formatBytes } from '../src/source/prepare-source.js';
import { BenchError, Interrupted, median, readStringOptions, recordSummary, runBenchmark, table, wholeNumber } from './bench-support.js';
import { BotProcess, FakeGitHubServer, removePushedImages, signedPush, sleep, writeTarball, type CheckEvent } from './bot-process.js';

const BUILDER = 's2i-bot/builder-html:local';
const CONFIG_REPO = 'Codertocat/cluster-config';
const MIB = 1024 * 1024;
/** The goal of the issue this benchmark measures: peak resident memory of the bot while it builds. */
const GOAL_PEAK_BYTES = 150 * MIB;
const SAMPLE_MS = 20;

interface Options {
  /** Files of 1 MiB. */
  big: number;
  /** Files of 64 B to 2 KiB. */
  small: number;
  registry: string;
}

const USAGE = `Usage: npm run bench:memory [-- --big N --small N --registry HOST:PORT]

  --big N          files of 1 MiB of random bytes in the source tree (BENCH_MEMORY_BIG, default 200)
  --small N        files of 64 B to 2 KiB of random bytes (BENCH_MEMORY_SMALL, default 20000)
  --registry H:P   registry the image is pushed to (BENCH_REGISTRY, default 127.0.0.1:5000)
`;

function readOptions(): Options {
  const values = readStringOptions(['big', 'small', 'registry'], USAGE);
  return {
    big: wholeNumber('big', values.big ?? process.env.BENCH_MEMORY_BIG ?? '200', 0),
    small: wholeNumber('small', values.small ?? process.env.BENCH_MEMORY_SMALL ?? '20000', 0),
    registry: values.registry ?? process.env.BENCH_REGISTRY ?? '127.0.0.1:5000',
  };
}

/**
 * Writes the source tree under `top`: `index.html`, `big/NNN.bin` (1 MiB each) and `small/NN/NNNNN.bin`, all
 * random bytes, so nothing compresses; returns its size in bytes.
 */
async function generateTree(top: string, options: Options): Promise<number> {
  await mkdir(join(top, 'big'), { recursive: true });
  await writeFile(join(top, 'index.html'), '<!doctype html><title>memory benchmark</title>\n');
  let bytes = 0;
  for (let index = 0; index < options.big; index += 1) {
    await writeFile(join(top, 'big', `${String(index).padStart(3, '0')}.bin`), randomBytes(MIB));
    bytes += MIB;
  }
  const directories = 100;
  for (let directory = 0; directory < directories; directory += 1) await mkdir(join(top, 'small', String(directory).padStart(2, '0')), { recursive: true });
  // A few files at a time: the file system, not this process, is the limit.
  const batch = 64;
  for (let first = 0; first < options.small; first += batch) {
    const writes: Array<Promise<void>> = [];
    for (let index = first; index < Math.min(first + batch, options.small); index += 1) {
      const size = randomInt(64, 2049);
      bytes += size;
      writes.push(writeFile(join(top, 'small', String(index % directories).padStart(2, '0'), `${String(index).padStart(5, '0')}.bin`), randomBytes(size)));
    }
    await Promise.all(writes);
  }
  return bytes;
}

/** Resident memory of the bot, sampled until `stop()`. */
function sampler(bot: BotProcess): { samples: number[]; stop: () => void } {
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(bot.memory().rss), SAMPLE_MS);
  return { samples, stop: () => clearInterval(timer) };
}

async function main(): Promise<void> {
  const options = readOptions();
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

  const repository = `${options.registry}/s2i-bot-bench/memory`;
  const sha = randomBytes(20).toString('hex');
  const config = `builder: ${BUILDER}\nimage: ${repository}\nincremental: false\ndeploy: { name: memory, namespace: demo }\ngitops: { repo: ${CONFIG_REPO}, branch: main }\n`;
  const policy = `allow:\n  - repo: ${appRepo}\n    paths: ["apps/memory/**"]\n    namespaces: [demo]\n`;
  const work = await mkdtemp(join(tmpdir(), 's2i-bot-bench-memory-'));
  const github = new FakeGitHubServer({ appRepo, configRepo: { repo: CONFIG_REPO, branch: 'main', policyText: policy } });
  let bot: BotProcess | undefined;
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ninterrupted: cleaning up after the build in flight (Ctrl-C again to quit at once)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    console.log(`memory benchmark: the bot (npm start, its own process) builds a generated source tree with ${BUILDER}`);
    let started = performance.now();
    const treeBytes = await generateTree(join(work, 'source', `${appRepo.replace('/', '-')}-${sha.slice(0, 7)}`), options);
    const archive = join(work, 'source.tar.gz');
    await writeTarball(join(work, 'source'), archive, 1);
    const archiveBytes = (await stat(archive)).size;
    console.log(
      `source: ${options.big} files of 1 MiB and ${options.small} small ones, ${formatBytes(treeBytes)} of random bytes; tarball ${formatBytes(archiveBytes)} (made in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    console.log(`load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}\n`);
    if (interrupted) throw new Interrupted();

    github.addCommit(sha, config, archive);
    await github.start();
    bot = await BotProcess.start(github, join(work, 'bot.log'));
    // Idle: the process as it waits for work, after start-up has settled.
    await sleep(2000);
    const idleSampling = sampler(bot);
    await sleep(2000);
    idleSampling.stop();
    const idle = median(idleSampling.samples);
    const hwmBefore = bot.memory().hwm;

    const checks: CheckEvent[] = [];
    github.on('check', (event: CheckEvent) => checks.push(event));
    const building = sampler(bot);
    started = performance.now();
    const finished = bot.waitForLog('run finished', (line) => line.sha === sha, 1_200_000);
    const status = await bot.deliver('push', signedPush(template, sha), `bench-memory-${sha}`);
    if (status !== 200) throw new BenchError(`the bot answered the push with HTTP ${status}`);
    const run = await finished;
    const runMs = performance.now() - started;
    building.stop();
    const { hwm } = bot.memory();

    const concluded = (name: string) => checks.find((check) => check.name === name && check.status === 'completed');
    for (const name of ['s2i/build', 's2i/deploy']) {
      if (concluded(name)?.conclusion !== 'success') throw new BenchError(`${name} concluded ${concluded(name)?.conclusion ?? 'never'}`);
    }
    if (github.counts.tarballs !== 1) throw new BenchError(`the tarball was downloaded ${github.counts.tarballs} times`);
    if (github.problems.length > 0 || bot.errors.length > 0) throw new BenchError(`the run was not clean:\n${[...github.problems, ...bot.errors].join('\n')}`);
    const peakSampled = Math.max(...building.samples);
    // VmHWM covers every moment of the process, between two samples too; it only counts here if the build raised it.
    const peak = Math.max(peakSampled, hwm > hwmBefore ? hwm : 0);
    console.log(`verified: s2i/build and s2i/deploy succeeded; the tarball was downloaded once; ${building.samples.length} samples over ${(runMs / 1000).toFixed(1)} s\n`);

    const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
    console.log(
      table([
        ['bot process', 'resident memory'],
        ['idle (median of 2 s before the push)', mib(idle)],
        ['peak while building (sampled every 20 ms)', mib(peakSampled)],
        ['high-water mark (VmHWM) after the run', `${mib(hwm)}${hwm > hwmBefore ? '' : ' (reached before the push)'}`],
        ['peak − idle', mib(peak - idle)],
      ]),
    );
    const phases = Object.entries(run.timings ?? {})
      .map(([phase, ms]) => `${phase} ${(ms / 1000).toFixed(1)} s`)
      .join(', ');
    console.log(`\nthe run: ${(runMs / 1000).toFixed(1)} s from the push to "run finished" (${phases})`);
    const met = peak <= GOAL_PEAK_BYTES;
    console.log('\ngoal (printed, never enforced):');
    console.log(`  peak resident memory of the bot while building ≤ ${mib(GOAL_PEAK_BYTES)}: ${mib(peak)} — ${met ? 'met' : 'NOT met'}`);
    recordSummary('memory', [
      { figure: `bot RSS idle / peak building a ${formatBytes(treeBytes)} tree`, value: `${mib(idle)} / ${mib(peak)}`, goal: `≤ ${mib(GOAL_PEAK_BYTES)}`, met },
      { figure: `push → run finished, ${formatBytes(treeBytes)} tree`, value: `${(runMs / 1000).toFixed(1)} s` },
    ]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await bot?.stop();
    await github.stop();
    await removePushedImages(engine, options.registry, [`${repository}:${sha}`]);
    await rm(work, { recursive: true, force: true });
  }
}

runBenchmark(main);
