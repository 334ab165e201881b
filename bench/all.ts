/**
 * Runs every benchmark, one after the other: build.ts, deploy.ts, incremental.ts, contention.ts, webhooks.ts, then
 * memory.ts (`npm run bench [-- --rounds N]`), and ends with one table of every benchmark's main figures.
 * Only `--rounds` is shared (by the benchmarks that have rounds); the other options belong to one benchmark: use
 * `npm run bench:<name>` for them. Exits with the first failing benchmark's code, after running the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { table, type SummaryRow } from './bench-support.js';

const BENCHMARKS = ['build.js', 'deploy.js', 'incremental.js', 'contention.js', 'webhooks.js', 'memory.js'];
/** The benchmarks that take `--rounds`. */
const WITH_ROUNDS = new Set(['build.js', 'deploy.js', 'incremental.js', 'contention.js']);

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
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), script), ...args], {
      stdio: 'inherit',
      detached: true,
      env: { ...process.env, BENCH_SUMMARY: summaryFile },
    });
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
// Each benchmark appends its main figures here (recordSummary in bench-support.ts).
const summaryDir = mkdtempSync(join(tmpdir(), 's2i-bot-bench-summary-'));
const summaryFile = join(summaryDir, 'summary.jsonl');
// A signal is passed on to the running benchmark, which cleans up and exits 130; no further benchmark starts.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true;
    current?.kill(signal);
  });
}
let failure = 0;
const outcomes = new Map<string, { code: number; seconds: number }>();
for (const [index, script] of BENCHMARKS.entries()) {
  if (index > 0) console.log(`\n${'-'.repeat(100)}\n`);
  const started = performance.now();
  const code = await run(script, WITH_ROUNDS.has(script) ? args : []);
  outcomes.set(script, { code, seconds: (performance.now() - started) / 1000 });
  if (code !== 0 && failure === 0) failure = code;
  if (interrupted || code === 130) break;
}
printSummary();
rmSync(summaryDir, { recursive: true, force: true });
process.exit(failure);

/** Every benchmark's figures as one table; a benchmark that failed or recorded none says so. */
function printSummary(): void {
  let text = '';
  try {
    text = readFileSync(summaryFile, 'utf8');
  } catch {
    // No benchmark recorded anything.
  }
  const recorded = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SummaryRow & { benchmark: string });
  const rows = [['benchmark', 'took', 'figure', 'value', 'goal', '']];
  for (const [script, { code, seconds }] of outcomes) {
    const name = script.replace(/\.js$/, '');
    const took = `${Math.round(seconds)} s`;
    const own = recorded.filter((row) => row.benchmark === name);
    if (code !== 0) rows.push([name, took, code === 130 ? 'interrupted' : `failed (exit code ${code}): see its output above`, '', '', '']);
    else if (own.length === 0) rows.push([name, took, 'see its output above', '', '', '']);
    for (const [index, row] of own.entries()) {
      rows.push([index === 0 ? name : '', index === 0 ? took : '', row.figure, row.value, row.goal ?? '', row.met === undefined ? '' : row.met ? 'met' : 'NOT met']);
    }
  }
  console.log(`\n${'='.repeat(100)}\n\nsummary (goals printed, never enforced)\n`);
  const total = [...outcomes.values()].reduce((sum, outcome) => sum + outcome.seconds, 0);
  console.log(table(rows, [0, 2, 3, 4, 5]));
  console.log(`\nall benchmarks: ${(total / 60).toFixed(1)} minutes`);
}
