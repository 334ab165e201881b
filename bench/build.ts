/**
 * Benchmark: the same S2I build done by the project's build engine (`buildImage` over the Engine API) and by
 * the plain docker CLI (`docker create` / `cp` / `start -a` / `commit` / `rm`), interleaved, several rounds.
 *
 *   npm run bench [-- --rounds N --builder IMAGE --example DIR]
 *
 * Options may also come from BENCH_ROUNDS, BENCH_BUILDER and BENCH_EXAMPLE. Build limits come from the usual
 * S2I_BUILD_* variables and are applied to both methods. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BUILD_CONTAINER_PREFIX, buildImage } from '../src/build/build-image.js';
import { readBuilderContract } from '../src/build/builder-image.js';
import { DockerEngine } from '../src/docker/docker-engine.js';
import { loadBuildSettings, type BuildSettings } from '../src/settings/build-settings.js';
import { packDirectory } from '../src/source/pack-directory.js';
import { BenchError, Interrupted, projectRoot, readRounds, recordSummary, runBenchmark, stats, table } from './bench-support.js';

/** Repository every image of this benchmark is tagged under; all of them are removed at the end. */
const BENCH_REPOSITORY = 's2i-bot-bench';
/** Name prefix of the containers the CLI baseline creates (a name, not a label: commits copy labels). */
const CLI_CONTAINER_PREFIX = 's2i-bot-bench-';
/** The entrypoint s2i uses for build containers, as in src/build/build-image.ts. */
const BUILD_ENTRYPOINT = '/usr/bin/env';

type Method = 'engine' | 'cli';

interface Options {
  rounds: number;
  builder: string;
  example: string;
}

/** What a hand-written CLI build script would know about the builder in advance. */
interface CliPlan {
  builder: string;
  destination: string;
  assemble: string;
  run: string;
  user: string;
  owner: { uid: number; gid: number };
  settings: BuildSettings;
}

const USAGE = `Usage: npm run bench [-- --rounds N --builder IMAGE --example DIR]

  --rounds N       measured rounds per method (BENCH_ROUNDS, default 5), after one warm-up round each
  --builder IMAGE  S2I builder image (BENCH_BUILDER, default s2i-bot/builder-nodejs:local)
  --example DIR    source directory to build (BENCH_EXAMPLE, default examples/hello-node of this project)
`;

function readOptions(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      rounds: { type: 'string' },
      builder: { type: 'string' },
      example: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const rounds = readRounds(values.rounds);
  const builder = values.builder ?? process.env.BENCH_BUILDER ?? 's2i-bot/builder-nodejs:local';
  const exampleOption = values.example ?? process.env.BENCH_EXAMPLE;
  const example = exampleOption ? resolve(exampleOption) : join(projectRoot(), 'examples', 'hello-node');
  if (!existsSync(example)) throw new BenchError(`example directory ${exampleOption ?? example} does not exist`);
  if (existsSync(join(example, '.s2i'))) {
    throw new BenchError(`${exampleOption ?? example} has a .s2i/ directory; the CLI baseline only models builder scripts, so the two builds would differ`);
  }
  return { rounds, builder, example };
}

// ---------------------------------------------------------------------------------------------------------
// docker CLI helpers

interface Exec {
  stdout: string;
  stderr: string;
}

/** Runs a command; rejects with its stderr (tail) when it exits non-zero. `stdin` is piped from another process. */
function exec(command: string, args: string[], stdin?: NodeJS.ReadableStream): Promise<Exec> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    if (stdin) stdin.pipe(child.stdin);
    else child.stdin.end();
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      if (code === 0) resolvePromise(result);
      else {
        const tail = (result.stderr || result.stdout).trim().split('\n').slice(-10).join('\n');
        reject(new BenchError(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${tail}`));
      }
    });
  });
}

const docker = (...args: string[]) => exec('docker', args);

/** `tar -C dir -cf - .` piped into `docker cp - container:path`, with every entry owned by `owner`. */
function tarIntoContainer(dir: string, owner: { uid: number; gid: number }, container: string, path: string): Promise<unknown> {
  const tar = spawn('tar', ['-C', dir, `--owner=${owner.uid}`, `--group=${owner.gid}`, '--numeric-owner', '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tarDone = new Promise<void>((resolvePromise, reject) => {
    const err: Buffer[] = [];
    tar.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolvePromise() : reject(new BenchError(`tar failed (exit ${code}): ${Buffer.concat(err).toString('utf8')}`))));
  });
  return Promise.all([tarDone, exec('docker', ['cp', '-', `${container}:${path}`], tar.stdout)]);
}

// ---------------------------------------------------------------------------------------------------------
// The two methods

async function engineBuild(engine: DockerEngine, settings: BuildSettings, options: Options, tag: string): Promise<number> {
  const started = performance.now();
  await buildImage(engine, settings, {
    builder: options.builder,
    repository: `${BENCH_REPOSITORY}/engine`,
    tag,
    source: () => packDirectory(options.example),
  });
  return performance.now() - started;
}

async function cliBuild(plan: CliPlan, example: string, tag: string): Promise<number> {
  const started = performance.now();
  const name = `${CLI_CONTAINER_PREFIX}${tag}`;
  const work = await mkdtemp(join(tmpdir(), 's2i-bot-bench-'));
  let created = false;
  try {
    // The layout s2i expects at the destination: src/ holds the source (without .git, as packDirectory does).
    await cp(example, join(work, 'src'), {
      recursive: true,
      filter: (source) => !(basename(source) === '.git' && dirname(source) === example),
    });
    const { settings } = plan;
    await docker(
      'create',
      '--name', name,
      '--entrypoint', BUILD_ENTRYPOINT,
      '--user', plan.user,
      // The same limits and isolation the engine gives its build containers.
      '--memory', String(settings.memoryBytes),
      '--memory-swap', String(settings.memoryBytes),
      '--cpus', String(settings.cpus),
      '--pids-limit', String(settings.pidsLimit),
      '--network', settings.network,
      '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges',
      plan.builder,
      plan.assemble,
    );
    created = true;
    await tarIntoContainer(work, plan.owner, name, plan.destination);
    await docker('start', '-a', name);
    await docker('commit', '--change', `CMD ${JSON.stringify([plan.run])}`, name, `${BENCH_REPOSITORY}/cli:${tag}`);
    await docker('rm', name);
    created = false;
  } finally {
    if (created) await docker('rm', '-f', name).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
  return performance.now() - started;
}

/** Reads the builder contract once, as the author of a CLI build script would from the builder's docs. */
async function planCliBuild(engine: DockerEngine, builder: string, settings: BuildSettings): Promise<CliPlan> {
  const image = await engine.inspectImage(builder);
  if (!image) throw new BenchError(`builder image ${builder} is not on the Docker engine; build or pull it first`);
  const contract = readBuilderContract(builder, image);
  if (contract.imageScriptsDir === undefined) throw new BenchError(`builder image ${builder} declares no scripts (io.openshift.s2i.scripts-url)`);
  const match = /^(\d+)(?::(\d+))?$/.exec(contract.assembleUser);
  if (!match) {
    throw new BenchError(`the CLI baseline needs a numeric assemble user (uid[:gid]); ${builder} has "${contract.assembleUser || 'root'}"`);
  }
  const scripts = contract.imageScriptsDir.replace(/\/$/, '');
  return {
    builder,
    destination: contract.destination,
    assemble: `${scripts}/assemble`,
    run: `${scripts}/run`,
    user: contract.assembleUser,
    // A uid without a group gets gid 0, the S2I convention the engine also follows for such users.
    owner: { uid: Number(match[1]), gid: Number(match[2] ?? 0) },
    settings,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checks, statistics, clean-up

async function verifyImage(runId: string, reference: string, runScript: string): Promise<void> {
  const { stdout } = await docker('image', 'inspect', '--format', '{{json .Config.Cmd}}', reference);
  const cmd = JSON.parse(stdout.trim()) as string[] | null;
  if (!Array.isArray(cmd) || cmd.length !== 1 || cmd[0] !== runScript) {
    throw new BenchError(`${reference} has Config.Cmd ${stdout.trim()}, expected ${JSON.stringify([runScript])}`);
  }
  // The image must start: its run script still running after 2 s, or finished with exit code 0.
  const name = `${CLI_CONTAINER_PREFIX}${runId}-verify-${randomBytes(2).toString('hex')}`;
  try {
    await docker('run', '-d', '--name', name, '--network', 'none', reference);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 2000));
    const state = (await docker('inspect', '--format', '{{.State.Running}} {{.State.ExitCode}}', name)).stdout.trim();
    if (state !== 'true 0' && state !== 'false 0') {
      const logs = await docker('logs', '--tail', '10', name).catch(() => ({ stdout: '', stderr: '' }));
      throw new BenchError(`${reference} does not run (state ${state}):\n${logs.stdout}${logs.stderr}`);
    }
  } finally {
    await docker('rm', '-f', name).catch(() => undefined);
  }
}

/** Force-removes this run's containers, which also aborts a build in flight. */
async function removeContainers(runId: string): Promise<void> {
  const containers = new Set<string>();
  for (const prefix of [`${CLI_CONTAINER_PREFIX}${runId}`, `${BUILD_CONTAINER_PREFIX}${runId}`]) {
    const { stdout } = await docker('ps', '-aq', '--filter', `name=^/${prefix}`).catch(() => ({ stdout: '' }));
    for (const id of stdout.split('\n').filter(Boolean)) containers.add(id);
  }
  if (containers.size > 0) await docker('rm', '-f', ...containers).catch((error: Error) => console.error(`clean-up: ${error.message}`));
}

/** Removes every container and image this run created; errors are reported, not thrown. */
async function cleanUp(runId: string, images: string[]): Promise<void> {
  await removeContainers(runId);
  const { stdout } = await docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', `${BENCH_REPOSITORY}/*`).catch(() => ({ stdout: '' }));
  const present = new Set(stdout.split('\n').filter(Boolean));
  const ours = images.filter((reference) => present.has(reference));
  if (ours.length > 0) await docker('image', 'rm', ...ours).catch((error: Error) => console.error(`clean-up: ${error.message}`));
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = readOptions();
  const engine = new DockerEngine();
  // The CA bundle mount is left out of both methods: the baseline does not model it.
  const settings: BuildSettings = { ...loadBuildSettings(), caBundle: undefined };
  const version = await engine.docker.version();
  const plan = await planCliBuild(engine, options.builder, settings);
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const images: string[] = [];
  const samples: Record<Method, number[]> = { engine: [], cli: [] };
  const shownExample = relative(process.cwd(), options.example) || '.';

  // Ctrl-C: abort the build in flight by removing its container; the normal path below then cleans up.
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error('\ninterrupted: cleaning up (Ctrl-C again to quit at once, leaving images behind)');
    void removeContainers(runId);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const once = async (method: Method, tag: string): Promise<number> => {
    if (interrupted) throw new Interrupted();
    images.push(`${BENCH_REPOSITORY}/${method}:${tag}`);
    const ms = await (method === 'engine' ? engineBuild(engine, settings, options, tag) : cliBuild(plan, options.example, tag)).catch((error: unknown) => {
      throw interrupted ? new Interrupted() : error;
    });
    if (interrupted) throw new Interrupted();
    return ms;
  };

  console.log(`S2I build benchmark: ${shownExample} with ${options.builder}`);
  console.log(`Docker server ${version.Version} (API ${version.ApiVersion}), Node.js ${process.version}`);
  console.log(`${options.rounds} rounds per method, interleaved, after one warm-up round each\n`);
  try {
    // Warm-up: page cache, builder layers, docker CLI binary, JIT of this process.
    process.stdout.write('warm-up  ');
    for (const method of ['engine', 'cli'] as const) process.stdout.write(`${method} ${(await once(method, `${runId}-warmup`)).toFixed(0)} ms  `);
    process.stdout.write('\n');
    for (let round = 1; round <= options.rounds; round += 1) {
      // Alternate which method goes first, so neither always runs right after the other's clean-up.
      const order: Method[] = round % 2 ? ['engine', 'cli'] : ['cli', 'engine'];
      process.stdout.write(`round ${String(round).padStart(2)}  `);
      for (const method of order) {
        const ms = await once(method, `${runId}-${round}`);
        samples[method].push(ms);
        process.stdout.write(`${method} ${ms.toFixed(0)} ms  `);
      }
      process.stdout.write('\n');
    }

    const last = `${runId}-${options.rounds}`;
    await verifyImage(runId, `${BENCH_REPOSITORY}/engine:${last}`, plan.run);
    await verifyImage(runId, `${BENCH_REPOSITORY}/cli:${last}`, plan.run);
    console.log(`\nverified: both output images have Config.Cmd ["${plan.run}"] and start\n`);

    const results = { engine: stats(samples.engine), cli: stats(samples.cli) };
    const ms = (value: number) => value.toFixed(1);
    console.log(
      table([
        ['method', 'runs', 'median ms', 'p90 ms', 'max ms', 'mean ms'],
        ...(['engine', 'cli'] as const).map((method) => [
          method,
          String(samples[method].length),
          ms(results[method].median),
          ms(results[method].p90),
          ms(results[method].max),
          ms(results[method].mean),
        ]),
      ]),
    );
    console.log(`\nengine/cli ratio of medians: ${(results.engine.median / results.cli.median).toFixed(2)} (below 1: the engine is faster)`);
    recordSummary('build', [
      {
        figure: `S2I build of ${shownExample}, median: engine / docker CLI`,
        value: `${ms(results.engine.median)} / ${ms(results.cli.median)} ms (${(results.engine.median / results.cli.median).toFixed(2)}×)`,
      },
    ]);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp(runId, images);
  }
}

runBenchmark(main);
