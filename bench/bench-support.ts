import { appendFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** A benchmark that cannot run or whose run broke: printed, exit code 1. */
export class BenchError extends Error {
  override name = 'BenchError';
}

/** Ctrl-C: the benchmark cleans up and exits 130. */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** The directory with the project's package.json, above the (compiled) benchmark. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new BenchError('cannot find the project root (no package.json above the benchmark)');
    dir = parent;
  }
  return dir;
}

/** `--rounds`, else `BENCH_ROUNDS`, else 5: a positive integer. */
export function readRounds(option: string | undefined): number {
  const text = option ?? process.env.BENCH_ROUNDS ?? '5';
  const rounds = Number(text);
  if (!Number.isInteger(rounds) || rounds < 1) throw new BenchError(`rounds must be a positive integer, got "${text}"`);
  return rounds;
}

export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Nearest rank: with 5 samples, p90 and p99 are the maximum. */
export function percentile(samples: number[], fraction: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

export interface Stats {
  median: number;
  p90: number;
  max: number;
  mean: number;
}

export function stats(samples: number[]): Stats {
  return {
    median: median(samples),
    p90: percentile(samples, 0.9),
    max: Math.max(...samples),
    mean: samples.reduce((sum, value) => sum + value, 0) / samples.length,
  };
}

/** Rows as aligned columns: the first left-aligned, the others right-aligned, unless `leftAligned` names them. */
export function table(rows: string[][], leftAligned: number[] = [0]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (leftAligned.includes(column) ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One figure of a benchmark in the table `npm run bench` prints at the end. */
export interface SummaryRow {
  /** What was measured, with its conditions: `push → deploy, median`. */
  figure: string;
  /** The measured value with its unit. */
  value: string;
  /** The goal for it, if any: `< 50 ms`. */
  goal?: string;
  met?: boolean;
}

/**
 * Hands a benchmark's main figures to `npm run bench` (bench/all.ts), which names the file in BENCH_SUMMARY and
 * prints every benchmark's figures as one table at the end. Run on its own, a benchmark records nothing.
 */
export function recordSummary(benchmark: string, rows: SummaryRow[]): void {
  const file = process.env.BENCH_SUMMARY;
  if (!file) return;
  appendFileSync(file, rows.map((row) => `${JSON.stringify({ benchmark, ...row })}
`).join(''));
}

/** Reads a benchmark's string options from the command line; `--help` (`-h`) prints `usage` and exits 0. */
export function readStringOptions<Name extends string>(names: readonly Name[], usage: string): Partial<Record<Name, string>> {
  const options = Object.fromEntries(names.map((name) => [name, { type: 'string' as const }]));
  const { values } = parseArgs({ args: process.argv.slice(2), options: { ...options, help: { type: 'boolean', short: 'h', default: false } } });
  if (values.help) {
    process.stdout.write(usage);
    process.exit(0);
  }
  return values as Partial<Record<Name, string>>;
}

/** An option's text as a whole number of at least `min`. */
export function wholeNumber(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new BenchError(`${name} must be a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** Runs a benchmark's main: exit code 0, 130 after Ctrl-C, 1 with the message when the run broke. */
export function runBenchmark(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof Interrupted) process.exit(130);
      console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

