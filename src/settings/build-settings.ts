import { isAbsolute, normalize, relative } from 'node:path';
import { parseScriptsUrl, redactUrl, ScriptsUrlError, type ScriptsUrl } from '../build/script-source-url.js';

/** An inclusive range of uids; `to` undefined means unbounded (`1000-`). */
export interface UidRange {
  from: number;
  to: number | undefined;
}

/** How the source reaches the build container. */
export type SourceInjection = 'archive' | 'stdin';

/** Operator settings for build containers, read from `S2I_*` environment variables. */
export interface BuildSettings {
  /** Memory limit of a build container in bytes (`S2I_BUILD_MEMORY`, e.g. `2g`, `512m`; default 2 GiB). */
  memoryBytes: number;
  /** CPU limit in CPUs (`S2I_BUILD_CPUS`, e.g. `1.5`; default 1). */
  cpus: number;
  /** Maximum number of processes in a build container (`S2I_BUILD_PIDS`; default 1024). */
  pidsLimit: number;
  /** Wall-clock limit of `assemble` (`S2I_BUILD_TIMEOUT`, e.g. `30m`, `900s`; default 30 minutes). */
  timeoutSeconds: number;
  /** Network of build containers (`S2I_BUILD_NETWORK`: `bridge` or `none`; default `bridge`). */
  network: 'bridge' | 'none';
  /** Host path of an extra CA bundle (PEM) mounted read-only into builds (`S2I_BUILD_CA_BUNDLE`). */
  caBundle: string | undefined;
  /** Largest source accepted, in bytes (`S2I_MAX_SOURCE_BYTES`, e.g. `500m`; default 1 GiB). */
  maxSourceBytes: number;
  /**
   * Operator override of the builder's scripts (`S2I_SCRIPTS_URL`: `image:///path`, `file:///path` inside
   * `S2I_SCRIPTS_DIR`, or `http(s)://host/path`); as s2i's `--scripts-url`, it wins over `.s2i/bin` of the source
   * and over the builder's `io.openshift.s2i.scripts-url` label. Unset by default.
   */
  scriptsUrl: ScriptsUrl | undefined;
  /**
   * The only host directory `file://` scripts URLs may read from (`S2I_SCRIPTS_DIR`, absolute path); unset by
   * default, which refuses every `file://` URL, so a builder image cannot make the bot read host files.
   */
  scriptsDir: string | undefined;
  /**
   * Uids `assemble` may run as (`S2I_ALLOWED_UIDS`, s2i's `--allowed-uids` syntax: `1-`, `1000-2000`, `1-,5`);
   * undefined (the default) allows any user, root included.
   */
  allowedUids: UidRange[] | undefined;
  /**
   * How the source reaches the build container (`S2I_SOURCE_INJECTION`): `archive` (default) through the
   * engine's archive API, which needs no tar in the image; `stdin` extracts it with the builder's own `tar` as the
   * assemble user, as s2i does, and refuses builders without tar in PATH.
   */
  sourceInjection: SourceInjection;
  /**
   * Globs of the builder and runtime images builds may use (`S2I_ALLOWED_BUILDERS`, comma-separated, e.g.
   * `registry.example.com/s2i/*,docker.io/library/node:*`), matched against the full reference: registry host
   * included, Docker Hub images as `docker.io/library/node:20`, `:latest` when no tag or digest is given. `*` stays
   * within one path segment, `**` crosses them. Undefined (the default) allows every image.
   */
  allowedBuilders: string[] | undefined;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600 };

/** Reads the build settings; an invalid value is an error naming the variable and the expected form. */
export function loadBuildSettings(env: NodeJS.ProcessEnv = process.env): BuildSettings {
  const network = env.S2I_BUILD_NETWORK || 'bridge';
  if (network !== 'bridge' && network !== 'none') {
    throw new SettingsError(`S2I_BUILD_NETWORK must be "bridge" or "none", got "${network}"`);
  }
  const injection = env.S2I_SOURCE_INJECTION || 'archive';
  if (injection !== 'archive' && injection !== 'stdin') {
    throw new SettingsError(`S2I_SOURCE_INJECTION must be "archive" or "stdin", got "${injection}"`);
  }
  const scriptsDir = parseScriptsDir(env.S2I_SCRIPTS_DIR);
  return {
    memoryBytes: parseSize('S2I_BUILD_MEMORY', env.S2I_BUILD_MEMORY, 2 * 1024 ** 3),
    cpus: parseCpus(env.S2I_BUILD_CPUS),
    pidsLimit: parsePidsLimit(env.S2I_BUILD_PIDS),
    timeoutSeconds: parseDuration('S2I_BUILD_TIMEOUT', env.S2I_BUILD_TIMEOUT, 30 * 60),
    network,
    caBundle: env.S2I_BUILD_CA_BUNDLE || undefined,
    maxSourceBytes: parseSize('S2I_MAX_SOURCE_BYTES', env.S2I_MAX_SOURCE_BYTES, 1024 ** 3),
    scriptsUrl: parseOperatorScriptsUrl(env.S2I_SCRIPTS_URL, scriptsDir),
    scriptsDir,
    allowedUids: parseAllowedUids(env.S2I_ALLOWED_UIDS),
    sourceInjection: injection,
    allowedBuilders: parseAllowedBuilders(env.S2I_ALLOWED_BUILDERS),
  };
}

/**
 * Parses `S2I_ALLOWED_BUILDERS`: comma-separated image globs. Undefined when unset, so that "no restriction"
 * cannot be confused with an empty list; a value with no glob at all is an error rather than "allow nothing".
 */
function parseAllowedBuilders(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const globs = value.split(',').map((glob) => glob.trim());
  const invalid = globs.find((glob) => glob === '' || /\s/.test(glob) || glob.startsWith('!') || glob.includes('\\'));
  if (invalid !== undefined) {
    throw new SettingsError(
      `S2I_ALLOWED_BUILDERS must be comma-separated image globs such as registry.example.com/s2i/*,docker.io/library/node:*, got "${value}"` +
        (invalid === '' ? ' (an empty entry)' : ` ("${invalid}" is not a glob of an image reference)`),
    );
  }
  return globs;
}

/** Whether `uid` falls in one of the ranges. */
export function uidAllowed(uid: number, ranges: UidRange[]): boolean {
  return ranges.some((range) => uid >= range.from && (range.to === undefined || uid <= range.to));
}

/** Ranges written back in the setting's syntax: `1-,1000-2000,5`. */
export function formatUidRanges(ranges: UidRange[]): string {
  return ranges
    .map((range) => (range.to === range.from ? `${range.from}` : `${range.from}-${range.to ?? ''}`))
    .join(',');
}

const MAX_UID = 2 ** 32 - 2;

/**
 * Parses s2i's `--allowed-uids` syntax: comma-separated `N`, `N-M`, `N-` (N and above) or `-M` (up to M).
 * Undefined when unset, so that "no restriction" cannot be confused with an empty list.
 */
export function parseAllowedUids(value: string | undefined): UidRange[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const invalid = () => new SettingsError(`S2I_ALLOWED_UIDS must be uid ranges such as 1-, 1000-2000 or 1-,5, got "${value}"`);
  const uid = (text: string) => {
    if (!/^\d+$/.test(text) || Number(text) > MAX_UID) throw invalid();
    return Number(text);
  };
  return value.split(',').map((part) => {
    const match = /^\s*(\d*)\s*(-)?\s*(\d*)\s*$/.exec(part);
    if (!match || (match[1] === '' && match[3] === '')) throw invalid();
    const from = match[1] === '' ? 0 : uid(match[1]);
    if (!match[2]) {
      if (match[3] !== '') throw invalid();
      return { from, to: from };
    }
    const to = match[3] === '' ? undefined : uid(match[3]);
    if (to !== undefined && to < from) throw invalid();
    return { from, to };
  });
}

function parseScriptsDir(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isAbsolute(value)) throw new SettingsError(`S2I_SCRIPTS_DIR must be an absolute path, got "${value}"`);
  return normalize(value).replace(/(.)\/+$/, '$1');
}

function parseOperatorScriptsUrl(value: string | undefined, scriptsDir: string | undefined): ScriptsUrl | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let url: ScriptsUrl;
  try {
    url = parseScriptsUrl(value);
  } catch (error) {
    if (error instanceof ScriptsUrlError) throw new SettingsError(`S2I_SCRIPTS_URL ${error.message}`);
    throw error;
  }
  if (url.kind === 'file') {
    if (scriptsDir === undefined) {
      throw new SettingsError(`S2I_SCRIPTS_URL ${redactUrl(url.url)} reads host files, which needs S2I_SCRIPTS_DIR to name the directory that holds them`);
    }
    const path = url.relative ? normalize(`${scriptsDir}/${url.path}`) : url.path;
    const inside = relative(scriptsDir, path);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      throw new SettingsError(`S2I_SCRIPTS_URL ${url.url} is outside S2I_SCRIPTS_DIR (${scriptsDir})`);
    }
  }
  return url;
}

function parseSize(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(value.trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  // Under 1 byte would floor to 0, which Docker reads as "no memory limit".
  if (!match || unit === undefined || Number(match[1]) * unit < 1) {
    throw new SettingsError(`${name} must be a size such as 512m or 2g, got "${value}"`);
  }
  return Math.floor(Number(match[1]) * unit);
}

function parseDuration(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*([smh]?)$/i.exec(value.trim());
  if (!match || Number(match[1]) <= 0) {
    throw new SettingsError(`${name} must be a duration such as 900s, 30m or 1h, got "${value}"`);
  }
  return Number(match[1]) * TIME_UNITS[match[2].toLowerCase()];
}

/** A whole number of at least 1: Docker reads a pids limit of 0 as "unlimited". */
function parsePidsLimit(value: string | undefined): number {
  const limit = Math.floor(parsePositive('S2I_BUILD_PIDS', value, 1024));
  if (limit < 1) throw new SettingsError(`S2I_BUILD_PIDS must be a whole number of at least 1, got "${value}"`);
  return limit;
}

/** At least 0.01 CPU: smaller values round to 0 nano-CPUs, which the engine reads as "unlimited". */
function parseCpus(value: string | undefined): number {
  const cpus = parsePositive('S2I_BUILD_CPUS', value, 1);
  if (cpus < 0.01) throw new SettingsError(`S2I_BUILD_CPUS must be at least 0.01, got "${value}"`);
  return cpus;
}

function parsePositive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new SettingsError(`${name} must be a positive number, got "${value}"`);
  }
  return parsed;
}
