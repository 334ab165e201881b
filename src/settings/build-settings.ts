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
  return {
    memoryBytes: parseSize('S2I_BUILD_MEMORY', env.S2I_BUILD_MEMORY, 2 * 1024 ** 3),
    cpus: parseCpus(env.S2I_BUILD_CPUS),
    pidsLimit: parsePidsLimit(env.S2I_BUILD_PIDS),
    timeoutSeconds: parseDuration('S2I_BUILD_TIMEOUT', env.S2I_BUILD_TIMEOUT, 30 * 60),
    network,
    caBundle: env.S2I_BUILD_CA_BUNDLE || undefined,
    maxSourceBytes: parseSize('S2I_MAX_SOURCE_BYTES', env.S2I_MAX_SOURCE_BYTES, 1024 ** 3),
  };
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
