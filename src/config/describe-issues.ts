import { isAlias, isMap, isScalar, isSeq } from 'yaml';
import { z } from 'zod';
import type { ConfigProblem, YamlFile } from './read-yaml.js';

type Issue = z.core.$ZodIssue;
type Segment = PropertyKey;

export interface DescribeIssuesOptions {
  /** The schema the issues come from: it lists the allowed keys for "did you mean". */
  schema: z.ZodType;
  /** The file the validated value was read from; problems are located in it. */
  file: YamlFile;
  /**
   * Where a value came from when not from this file (an `_extends` base): the words added to its problem and the
   * key of this file the problem is shown at instead.
   */
  origin?: (path: Segment[]) => { note: string; at: Segment[] } | undefined;
}

/**
 * Turns zod issues into problems a user can act on: each names the key path, says what is expected and what was
 * found, and points at the line of the file. The schema's own error texts say what is expected ("expected an
 * integer ≥ 0"); this adds the path, what was found, and "did you mean" for unknown keys.
 */
export function describeIssues(issues: readonly Issue[], options: DescribeIssuesOptions): ConfigProblem[] {
  const suggested = new Set<string>();
  const problems: ConfigProblem[] = [];

  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const allowed = allowedKeys(options.schema, issue.path);
    for (const key of issue.keys) {
      const path = [...issue.path, key];
      const suggestion = allowed && closest(key, allowed);
      if (suggestion) suggested.add(JSON.stringify([...issue.path, suggestion]));
      const expected = suggestion ? `did you mean "${suggestion}"?` : allowed ? `expected one of: ${allowed.join(', ')}` : 'not allowed here';
      problems.push(problem(options, path, true, `${formatPath(path)}: unknown key (${expected})`));
    }
  }

  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') continue;
    const path = issue.path;
    if (issue.code === 'invalid_key') {
      const key = String(path.at(-1));
      const parent = path.slice(0, -1);
      const inner = issue.issues[0]?.message ?? issue.message;
      problems.push(problem(options, path, true, `${prefix(parent)}invalid key "${key}", ${inner}`));
      continue;
    }
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    // A missing key right next to an unknown key that looks like it is one problem: the typo.
    if (missing && suggested.has(JSON.stringify(path))) continue;
    const got = issue.code === 'custom' && (issue.params as { got?: boolean } | undefined)?.got === false ? '' : `, got ${show(issue.input)}`;
    const text = missing ? `${prefix(path)}missing, ${issue.message}` : `${prefix(path)}${issue.message}${got}`;
    problems.push(problem(options, path, false, text));
  }

  return problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}

/**
 * A key path as users write it: `deploy.service.port`, `allow[0].paths`, and JSON-quoted keys that are not plain
 * words, such as `branches["release/*"]`, so a glob or a dotted key cannot be misread as nesting.
 */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(segment))) out += `${out === '' ? '' : '.'}${String(segment)}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

function prefix(path: readonly Segment[]): string {
  return path.length === 0 ? '' : `${formatPath(path)}: `;
}

function problem(options: DescribeIssuesOptions, path: Segment[], atKey: boolean, message: string): ConfigProblem {
  const origin = options.origin?.(path);
  return {
    message: origin ? `${message} (${origin.note})` : message,
    path: formatPath(path),
    ...(origin ? locate(options.file, origin.at, true) : locate(options.file, path, atKey)),
  };
}

/** How a found value reads in a message: strings quoted and shortened, collections by their kind. */
function show(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return Object.keys(value).length === 0 ? 'an empty mapping' : 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

interface Range {
  range?: [number, number, number] | null;
}

/**
 * The line and column for a path: the value's node when the path exists in the file, the key itself for an unknown
 * or invalid key, else the key of the nearest parent that exists (where a missing key would go).
 */
function locate(file: YamlFile, path: readonly Segment[], atKey: boolean): Pick<ConfigProblem, 'line' | 'column'> {
  let node: unknown = file.doc.contents;
  let best = offsetOf(node);
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(file.doc);
    let keyOffset: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      keyOffset = offsetOf(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      keyOffset = offsetOf(node);
    } else {
      break;
    }
    const last = index === path.length - 1;
    best = last && !atKey ? (offsetOf(node) ?? keyOffset) : keyOffset;
  }
  if (best === undefined) return {};
  const { line, col } = file.lineCounter.linePos(best);
  return { line, column: col };
}

function offsetOf(node: unknown): number | undefined {
  const range = node && typeof node === 'object' ? (node as Range).range : undefined;
  return range ? range[0] : undefined;
}

/** The keys an object schema allows at a path, looking through defaults, optionals, transforms and records. */
function allowedKeys(schema: z.ZodType, path: readonly Segment[]): string[] | undefined {
  let current: unknown = schema;
  for (const segment of [...path, undefined]) {
    for (;;) {
      if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
        current = current.unwrap();
      } else if (current instanceof z.ZodPipe) {
        current = current.in;
      } else {
        break;
      }
    }
    if (segment === undefined) break;
    if (current instanceof z.ZodObject) current = (current.shape as Record<string, unknown>)[String(segment)];
    else if (current instanceof z.ZodRecord) current = current.valueType;
    else if (current instanceof z.ZodArray) current = current.element;
    else return undefined;
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : undefined;
}

/** The allowed key a typo most likely meant: at most two edits away and less than half the word changed. */
function closest(key: string, allowed: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    const close = distance === 0 || (distance <= 2 && distance < candidate.length / 2);
    if (close && (!best || distance < best.distance)) best = { key: candidate, distance };
  }
  return best?.key;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours ("namepsace"). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}
