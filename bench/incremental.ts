/**
 * Benchmark: a clean rebuild against an incremental rebuild (`incremental: true`, the previous image's
 * `save-artifacts` restored before `assemble`) of examples/hello-node-deps, 200 dependencies installed offline from
 * vendored tarballs by the bundled Node.js builder. Build containers get no network, so nothing in the measurement
 * comes from it. Interleaved rounds; prints the medians, their ratio against the issue's goal and the build phases.
 *
 *   npm run bench:incremental [-- --rounds N]
 *
 * The rounds may also come from BENCH_ROUNDS; build limits from the usual S2I_BUILD_* variables, except
 * S2I_BUILD_NETWORK, which is always `none`. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BUILD_CONTAINER_PREFIX, buildImage, type BuildPhase, type BuildResult } from '../src/build/build-image.js';
import { DockerEngine } from '../src/docker/docker-engine.js';
import { formatBytes } from '../src/source/prepare-source.js';
import { loadBuildSettings, type BuildSettings } from '../src/settings/build-settings.js';
import { packDirectory } from '../src/source/pack-directory.js';
import { BenchError, Interrupted, median, projectRoot, readRounds, recordSummary, runBenchmark, stats, table } from './bench-support.js';

/** Every image of this benchmark is tagged under `s2i-bot-bench/incremental-<method>`; all are removed at the end. */
const BENCH_REPOSITORY = 's2i-bot-bench/incremental';
/** Name prefix of the containers that check the images (a name, not a label: commits copy labels). */
const CHECK_CONTAINER_PREFIX = 's2i-bot-bench-';
const BUILDER = 's2i-bot/builder-nodejs:local';
/** The goal of the issue: the incremental rebuild at least this many times faster than the clean one (medians). */
const GOAL_SPEED_UP = 3;
/** What examples/hello-node-deps answers on GET / once all its dependencies loaded. */
const EXPECTED_ANSWER = /^hello-node-deps: 200 dependencies loaded \(/;
/** How long a checked image may take to answer GET / after its container started. */
const ANSWER_TIMEOUT_MS = 20_000;
const PHASES: BuildPhase[] = ['builder', 'source', 'artifacts', 'assemble', 'runtime', 'commit'];

type Method = 'clean' | 'incremental';

interface Options {
  rounds: number;
}

/** One build, timed. */
interface Run {
  ms: number;
  /** Wall time of each phase, from its `phase` event to the next one (the last one ends when buildImage returns). */
  phases: Partial<Record<BuildPhase, number>>;
  result: BuildResult;
  /** The engine's `incremental:` note: what was restored, or why the build is clean. */
  restoreNote?: string;
  /** Whether the builder's assemble skipped `npm ci` because the restored node_modules matched the lockfile. */
  installSkipped: boolean;
}

const USAGE = `Usage: npm run bench:incremental [-- --rounds N]

  --rounds N  measured rounds (BENCH_ROUNDS, default 5), each a clean and an incremental build, after one warm-up
              round of each

Builds examples/hello-node-deps with ${BUILDER}; build containers run with S2I_BUILD_NETWORK=none.
`;

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const rounds = readRounds(values.rounds);
  return { rounds };
}

// ---------------------------------------------------------------------------------------------------------
// docker CLI, for checking the images and for clean-up

interface Exec {
  stdout: string;
  stderr: string;
}

/** Runs `docker args…`; rejects with the tail of its stderr when it exits non-zero. */
function docker(...args: string[]): Promise<Exec> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (code === 0) resolvePromise(result);
      else {
        const tail = (result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n');
        reject(new BenchError(`docker ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
      }
    });
  });
}

/** GET / from inside the container, with the image's own Node.js: the container needs no network or port. */
const GET_ROOT = `require('node:http').get('http://127.0.0.1:' + (process.env.PORT || 8080) + '/', (response) => {
  let body = '';
  response.setEncoding('utf8').on('data', (chunk) => (body += chunk)).on('end', () => console.log(response.statusCode + ' ' + body.trim()));
}).on('error', (error) => { console.error(error.message); process.exit(1); });`;

/** Starts the image (no network) and waits until it answers GET / with the sample's message. */
async function checkImage(runId: string, reference: string): Promise<string> {
  const name = `${CHECK_CONTAINER_PREFIX}${runId}-check-${randomBytes(2).toString('hex')}`;
  try {
    await docker('run', '-d', '--name', name, '--network', 'none', reference);
    const deadline = performance.now() + ANSWER_TIMEOUT_MS;
    let last = '';
    while (performance.now() < deadline) {
      const answer = await docker('exec', name, 'node', '-e', GET_ROOT).then(
        ({ stdout }) => stdout.trim(),
        (error: Error) => error.message,
      );
      if (answer.startsWith('200 ')) {
        const body = answer.slice(4);
        if (!EXPECTED_ANSWER.test(body)) throw new BenchError(`${reference} answers GET / with "${body}", expected ${EXPECTED_ANSWER.source}`);
        return body;
      }
      last = answer;
      const running = (await docker('inspect', '--format', '{{.State.Running}}', name)).stdout.trim();
      if (running !== 'true') break;
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
    const logs = await docker('logs', '--tail', '10', name).catch(() => ({ stdout: '', stderr: '' }));
    throw new BenchError(`${reference} does not answer GET / (last try: ${last || 'none'}):\n${logs.stdout}${logs.stderr}`);
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
  }
}

/** Force-removes this run's containers: build containers still there, and check containers. */
async function removeContainers(runId: string): Promise<void> {
  const containers = new Set<string>();
  for (const prefix of [`${CHECK_CONTAINER_PREFIX}${runId}`, `${BUILD_CONTAINER_PREFIX}${runId}`]) {
    const { stdout } = await docker('ps', '-aq', '--filter', `name=^/${prefix}`).catch(() => ({ stdout: '' }));
    for (const id of stdout.split('\n').filter(Boolean)) containers.add(id);
  }
  if (containers.size > 0) await docker('rm', '-f', ...containers).catch((error: Error) => console.error(`clean-up: ${error.message}`));
}

/** Removes every container and image this run created; errors are reported, not thrown. */
async function cleanUp(runId: string, images: string[]): Promise<void> {
  await removeContainers(runId);
  const { stdout } = await docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `${BENCH_REPOSITORY}-*`).catch(() => ({ stdout: '' }));
  const present = new Set(stdout.split('\n').filter(Boolean));
  const ours = images.filter((reference) => present.has(reference));
  if (ours.length > 0) await docker('image', 'rm', ...ours).catch((error: Error) => console.error(`clean-up: ${error.message}`));
}

// ---------------------------------------------------------------------------------------------------------
// Statistics and output

/** Whole milliseconds; a rounded -0 shows as 0. */
const ms = (value: number) => (Math.round(value) || 0).toFixed(0);

/** The round's line: wall time, and for an incremental build what was restored and whether npm ci ran. */
function describe(method: Method, run: Run): string {
  if (method === 'clean') return `clean ${ms(run.ms)} ms`;
  const restored = /^incremental: restored (\d+) files? \(([^)]+)\)/.exec(run.restoreNote ?? '');
  return `incremental ${ms(run.ms)} ms (${restored ? `${restored[1]} files, ${restored[2]} restored` : 'restored'}; npm ci ${run.installSkipped ? 'skipped' : 'ran'})`;
}

function report(runs: Record<Method, Run[]>): void {
  const methods = ['clean', 'incremental'] as const;
  const totals = { clean: stats(runs.clean.map((run) => run.ms)), incremental: stats(runs.incremental.map((run) => run.ms)) };
  console.log(
    table([
      ['method', 'runs', 'median ms', 'p90 ms', 'max ms', 'mean ms'],
      ...methods.map((method) => [method, String(runs[method].length), ms(totals[method].median), ms(totals[method].p90), ms(totals[method].max), ms(totals[method].mean)]),
    ]),
  );

  // Phases: the median of each over the rounds; a phase a method never went through shows –.
  const phaseMedian = (method: Method, value: (run: Run) => number | undefined) => {
    const values = runs[method].map(value).filter((entry): entry is number => entry !== undefined);
    return values.length === 0 ? undefined : median(values);
  };
  const row = (label: string, value: (run: Run) => number | undefined): string[] => {
    const [clean, incremental] = methods.map((method) => phaseMedian(method, value));
    const saved = clean === undefined && incremental === undefined ? undefined : (clean ?? 0) - (incremental ?? 0);
    return [label, clean === undefined ? '–' : ms(clean), incremental === undefined ? '–' : ms(incremental), saved === undefined ? '–' : ms(saved)];
  };
  const present = PHASES.filter((phase) => methods.some((method) => runs[method].some((run) => run.phases[phase] !== undefined)));
  console.log('\nphases (median ms of each phase over the rounds):\n');
  console.log(
    table([
      ['phase', 'clean', 'incremental', 'clean − incremental'],
      ...present.map((phase) => row(phase, (run) => run.phases[phase])),
      row('everything but assemble', (run) => run.ms - (run.phases.assemble ?? 0)),
      row('total', (run) => run.ms),
    ]),
  );

  const ratio = totals.clean.median / totals.incremental.median;
  const skipped = runs.incremental.filter((run) => run.installSkipped).length;
  console.log(`\nclean/incremental ratio of medians: ${ratio.toFixed(2)}× (above 1: the incremental rebuild is faster)`);
  console.log(`incremental rounds that skipped npm ci (restored node_modules matched the lockfile): ${skipped} of ${runs.incremental.length}`);
  console.log('\ngoal (printed, never enforced):');
  console.log(`  incremental rebuild ≥ ${GOAL_SPEED_UP}× faster than a clean one (ratio of medians): ${ratio.toFixed(2)}× — ${ratio >= GOAL_SPEED_UP ? 'met' : 'NOT met'}`);
  recordSummary('incremental', [
    { figure: 'hello-node-deps rebuild, median: clean / incremental', value: `${ms(totals.clean.median)} / ${ms(totals.incremental.median)} ms` },
    { figure: 'clean / incremental', value: `${ratio.toFixed(2)}×`, goal: `≥ ${GOAL_SPEED_UP}×`, met: ratio >= GOAL_SPEED_UP },
  ]);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions();
  const example = join(projectRoot(), 'examples', 'hello-node-deps');
  if (!existsSync(join(example, 'package-lock.json'))) throw new BenchError(`${relative(process.cwd(), example)} has no package-lock.json; restore it from git`);
  const engine = new DockerEngine();
  // No network for build containers (assemble and save-artifacts): every dependency comes from the vendored tarballs.
  const settings: BuildSettings = loadBuildSettings({ ...process.env, S2I_BUILD_NETWORK: 'none' });
  const version = await engine.docker.version();
  if (!(await engine.inspectImage(BUILDER))) throw new BenchError(`builder image ${BUILDER} is not on the Docker engine; run bash .ci/setup`);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const images: string[] = [];
  const runs: Record<Method, Run[]> = { clean: [], incremental: [] };

  // Ctrl-C: cancel the build in flight (the build removes its containers); the normal path below then cleans up.
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    console.error('\ninterrupted: cleaning up (Ctrl-C again to quit at once, leaving images behind)');
    void removeContainers(runId);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  /** One build of the sample to `incremental-<method>:<runId>-<label>`; incremental ones restore from `previous`. */
  const build = async (method: Method, label: string, previous?: string): Promise<Run> => {
    if (abort.signal.aborted) throw new Interrupted();
    const repository = `${BENCH_REPOSITORY}-${method}`;
    const tag = `${runId}-${label}`;
    images.push(`${repository}:${tag}`);
    const phases: Partial<Record<BuildPhase, number>> = {};
    let current: { phase: BuildPhase; since: number } | undefined;
    const enter = (phase?: BuildPhase) => {
      const now = performance.now();
      if (current) phases[current.phase] = (phases[current.phase] ?? 0) + now - current.since;
      current = phase && { phase, since: now };
    };
    let restoreNote: string | undefined;
    let installSkipped = false;

    const started = performance.now();
    const result = await buildImage(engine, settings, {
      builder: BUILDER,
      repository,
      tag,
      source: () => packDirectory(example),
      incremental: method === 'incremental',
      ...(method === 'incremental' ? { previousImage: previous } : {}),
      signal: abort.signal,
      onEvent: (event) => {
        if (event.kind === 'phase') enter(event.phase);
        else if (event.line.startsWith('incremental: ')) restoreNote = event.line;
        else if (/skipping npm ci/.test(event.line)) installSkipped = true;
      },
    }).catch((error: unknown) => {
      throw abort.signal.aborted ? new Interrupted() : error;
    });
    enter();
    const run: Run = { ms: performance.now() - started, phases, result, restoreNote, installSkipped };
    if (abort.signal.aborted) throw new Interrupted();

    if (method === 'clean' && result.incremental) throw new BenchError(`the clean build ${result.reference} restored artifacts from ${result.restoredFrom ?? '?'}`);
    if (method === 'incremental' && !result.incremental) {
      throw new BenchError(`the incremental build ${result.reference} restored nothing from ${previous ?? '?'}: ${restoreNote ?? 'no note in the build log'}`);
    }
    if (method === 'incremental' && result.restoredFrom !== previous) {
      throw new BenchError(`the incremental build ${result.reference} restored from ${result.restoredFrom ?? '?'}, expected ${previous ?? '?'}`);
    }
    return run;
  };

  console.log(`Incremental rebuild benchmark: ${relative(process.cwd(), example) || '.'} (200 vendored dependencies, npm ci offline) with ${BUILDER}`);
  console.log(`Docker server ${version.Version} (API ${version.ApiVersion}), Node.js ${process.version}`);
  console.log(
    `build containers: network ${settings.network}, ${settings.cpus} CPU${settings.cpus === 1 ? '' : 's'}, ${formatBytes(settings.memoryBytes)} memory (S2I_BUILD_CPUS, S2I_BUILD_MEMORY)`,
  );
  console.log(`${options.rounds} round${options.rounds === 1 ? '' : 's'} of a clean and an incremental build, interleaved, after one warm-up round\n`);
  try {
    // Warm-up (not counted): the first previous image, page cache, builder checks, JIT of this process.
    const warmClean = await build('clean', 'warmup');
    let previous = warmClean.result.reference;
    const warmIncremental = await build('incremental', 'warmup', previous);
    previous = warmIncremental.result.reference;
    console.log(`warm-up   ${describe('clean', warmClean)}  ${describe('incremental', warmIncremental)}`);

    for (let round = 1; round <= options.rounds; round += 1) {
      // Alternate which method goes first, so neither always runs right after the other.
      const order: Method[] = round % 2 ? ['clean', 'incremental'] : ['incremental', 'clean'];
      const line: string[] = [];
      for (const method of order) {
        const run = await build(method, String(round), method === 'incremental' ? previous : undefined);
        if (method === 'incremental') previous = run.result.reference;
        runs[method].push(run);
        line.push(describe(method, run));
      }
      console.log(`round ${String(round).padStart(2)}  ${line.join('  ')}`);
    }

    // Every image must run: the server loads all 200 dependencies at start, so a broken node_modules fails here.
    let answer = '';
    for (const reference of images) {
      if (abort.signal.aborted) throw new Interrupted();
      answer = await checkImage(runId, reference).catch((error: unknown) => {
        throw abort.signal.aborted ? new Interrupted() : error;
      });
    }
    console.log(`\nchecked: every incremental build restored from the image before it; all ${images.length} images start and answer GET / with "${answer}"\n`);
    report(runs);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp(runId, images);
  }
}

runBenchmark(main);
