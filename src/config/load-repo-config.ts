import picomatch from 'picomatch';
import { isScalar } from 'yaml';
import { describeIssues } from './describe-issues.js';
import { expandGitopsPath } from './expand-gitops-path.js';
import { readYaml, type ConfigProblem, type YamlFile } from './read-yaml.js';
import { DNS_LABEL, RepoConfig } from './schema.js';

export { CONFIG_PATH, ExtendsTargetError, parseExtendsTarget, type ExtendsTarget } from './parse-extends-target.js';
export type { ConfigProblem } from './read-yaml.js';

/** What the defaults of `.github/s2i.yml` depend on: facts about the app repo. */
export interface RepoConfigDefaults {
  /** The app repo's name (without owner); `deploy.name` defaults to it, lowercased and made DNS-safe. */
  repoName: string;
  /** The app repo's default branch; it deploys to `production` unless `branches` says otherwise. */
  defaultBranch: string;
}

export interface ParseRepoConfigOptions {
  /** Facts about the app repo that defaults are derived from. */
  defaults: RepoConfigDefaults;
  /** The already-parsed file named by `_extends`, merged under the file's own values. */
  base?: unknown;
}

export type ParsedConfig = { ok: true; config: RepoConfig } | { ok: false; problems: ConfigProblem[] };

/** An environment a branch deploys to, and the `branches` key that said so. */
export interface BranchEnvironment {
  /** The environment name from the matching entry. */
  environment: string;
  /** The `branches` key that matched: the branch name itself or a glob. */
  pattern: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Values a user may write as YAML numbers or booleans that are text to Kubernetes, so they are kept as written. */
const TEXT_VALUE_PATHS: readonly (readonly string[])[] = [
  ['env', '*'],
  ['deploy', 'resources', 'requests', '*'],
  ['deploy', 'resources', 'limits', '*'],
];

/**
 * Parses and validates `.github/s2i.yml` and fills its defaults. `base` (the `_extends` target, fetched by the
 * caller) is merged under the file: mappings merge key by key, the file's lists and scalars win. Every problem
 * names its key path, what is expected and what was found, and its line in the file.
 */
export function parseRepoConfig(text: string, options: ParseRepoConfigOptions): ParsedConfig {
  const read = readYaml(text);
  if (!read.ok) return read;
  const { file } = read;
  const own = file.value ?? {};
  const base = options.base === undefined || options.base === null ? undefined : options.base;

  let input: unknown = own;
  if (isPlainObject(own)) {
    keepTextAsWritten(own, file);
    if (base !== undefined && !isPlainObject(base)) {
      return { ok: false, problems: [{ path: '_extends', message: '_extends: the inherited file is not a mapping of settings', ...lineOf(file, '_extends') }] };
    }
    const inherited = { ...base };
    delete inherited._extends;
    input = withDefaults(merge(inherited, own), options.defaults);
  }

  const result = RepoConfig.safeParse(input, { reportInput: true });
  if (!result.success) {
    // A value only the base sets is wrong in the base; the app repo's file can only show it at its _extends line.
    const origin = (path: PropertyKey[]) =>
      base !== undefined && has(base, path) && !(isPlainObject(own) && has(own, path)) ? { note: 'set by the _extends base', at: ['_extends'] } : undefined;
    return { ok: false, problems: describeIssues(result.error.issues, { schema: RepoConfig, file, origin }) };
  }
  const config = result.data;
  delete config._extends;
  return { ok: true, config };
}

/**
 * The `_extends` value of a settings file, so the caller can fetch the base before parsing. `undefined` when
 * there is none or the file cannot be read; {@link parseRepoConfig} then reports why.
 */
export function readExtends(text: string): string | undefined {
  const read = readYaml(text);
  if (!read.ok || !isPlainObject(read.file.value)) return undefined;
  const value = read.file.value._extends;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The environment a branch deploys to: a `branches` key equal to the branch wins; otherwise the first glob in file
 * order that matches. `*` stays within one path segment (`release/*` does not match `release/a/b`); `**` crosses them.
 */
export function environmentForBranch(config: RepoConfig, branch: string): BranchEnvironment | undefined {
  const entries = Object.entries(config.branches);
  const exact = entries.find(([pattern]) => pattern === branch);
  const match = exact ?? entries.find(([pattern]) => picomatch.isMatch(branch, pattern, { windows: false }));
  return match && { environment: match[1].environment, pattern: match[0] };
}

/** Every environment the config names: those its branches deploy to, then those deployed only on request. */
export function environmentsOf(config: RepoConfig): string[] {
  return [...new Set([...Object.values(config.branches).map((target) => target.environment), ...config.environments])];
}

/**
 * The config-repo directory for an environment: `gitops.path` with `{{name}}` and `{{environment}}` replaced,
 * normalised, relative, never with `..`. Throws a ConfigError for an environment name that is not a DNS label (it
 * may come from a comment command) or a path that would leave the repo (a config not from {@link parseRepoConfig}).
 */
export function renderGitopsPath(config: RepoConfig, environment: string): string {
  if (environment.length > 63 || !DNS_LABEL.test(environment)) {
    throw new ConfigError(`"${environment}" is not a valid environment name: at most 63 lowercase letters, digits and "-"`);
  }
  const expanded = expandGitopsPath(config.gitops.path, { name: config.deploy.name, environment });
  if (!expanded.ok) throw new ConfigError(`gitops.path "${config.gitops.path}" ${expanded.problem}`);
  return expanded.path;
}

/** `My_Repo.js` → `my-repo-js`: a DNS-1123 label from a GitHub repository name. */
function dnsLabelFrom(repoName: string): string {
  const label = repoName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return label === '' ? 'app' : label;
}

function withDefaults(config: Record<string, unknown>, defaults: RepoConfigDefaults): Record<string, unknown> {
  const out = { ...config };
  if (out.deploy === undefined) out.deploy = { name: dnsLabelFrom(defaults.repoName) };
  else if (isPlainObject(out.deploy) && out.deploy.name === undefined) out.deploy = { ...out.deploy, name: dnsLabelFrom(defaults.repoName) };
  // Only when neither the file nor its base names branches: merging would add the default branch to theirs.
  if (out.branches === undefined) out.branches = { [defaults.defaultBranch]: { environment: 'production' } };
  return out;
}

/** Mappings merge key by key; lists and scalars of `own` replace the base's. */
function merge(base: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of [...Object.entries(base), ...Object.entries(own)]) {
    const earlier = Object.hasOwn(out, key) ? out[key] : undefined;
    const merged = isPlainObject(earlier) && isPlainObject(value) ? merge(earlier, value) : value;
    // defineProperty, not assignment: a "__proto__" key from a base must not become the prototype.
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Replaces YAML numbers and booleans at {@link TEXT_VALUE_PATHS} by their source text (`1.10` stays "1.10"). */
function keepTextAsWritten(own: Record<string, unknown>, file: YamlFile): void {
  for (const pattern of TEXT_VALUE_PATHS) {
    const parent = valueAt(own, pattern.slice(0, -1));
    if (!isPlainObject(parent)) continue;
    for (const [key, value] of Object.entries(parent)) {
      if (typeof value !== 'number' && typeof value !== 'boolean') continue;
      const node = file.doc.getIn([...pattern.slice(0, -1), key], true);
      if (isScalar(node) && typeof node.source === 'string') parent[key] = node.source;
    }
  }
}

function lineOf(file: YamlFile, key: string): Pick<ConfigProblem, 'line' | 'column'> {
  const node = file.doc.getIn([key], true);
  const offset = isScalar(node) && node.range ? node.range[0] : undefined;
  if (offset === undefined) return {};
  const { line, col } = file.lineCounter.linePos(offset);
  return { line, column: col };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const segment of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment as string];
  }
  return current;
}

function has(value: unknown, path: readonly PropertyKey[]): boolean {
  return path.length === 0 || valueAt(value, path) !== undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
