/**
 * Runs every benchmark, one after the other: build.ts, deploy.ts, incremental.ts, then contention.ts
 * (`npm run bench [-- --rounds N]`). Only `--rounds` is shared; the other options belong to one benchmark: use
 * `npm run bench:build` or `npm run bench:deploy` for them. Exits with the first failing benchmark's code, after
 * running the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const BENCHMARKS = ['build.js', 'deploy.js', 'incremental.js', 'contention.js'];

function readArgs(): string[] {
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { rounds: { type: 'string' } } });
    return values.rounds === undefined ? [] : ['--rounds', values.rounds];
  } catch (error) {
    console.error(`${(error as Error).message}\nnpm run bench takes only --rounds N; use npm run bench:build or npm run bench:deploy for the other options`);
    process.exit(2);
  }
}

let current: ChildProcess | undefined;

function run(script: string, args: string[]): Promise<number> {
  return new Promise((resolveCode) => {
    // Its own process group, so a Ctrl-C reaches it once, forwarded below (a second one means "quit at once").
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), script), ...args], { stdio: 'inherit', detached: true });
    current = child;
    child.on('error', (error) => {
      console.error(`${script}: ${error.message}`);
      resolveCode(1);
    });
    child.on('exit', (code, signal) => {
      current = undefined;
      resolveCode(code ?? (signal ? 128 : 1));
    });
  });
}

const args = readArgs();
// A signal is passed on to the running benchmark, which cleans up and exits 130; no further benchmark starts.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}
let failure = 0;
for (const [index, script] of BENCHMARKS.entries()) {
  if (index > 0) console.log(`\n${'-'.repeat(100)}\n`);
  const code = await run(script, args);
  if (code !== 0 && failure === 0) failure = code;
  if (interrupted || code === 130) break;
}
process.exit(failure);
