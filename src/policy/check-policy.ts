import picomatch from 'picomatch';
import { describeIssues } from '../config/describe-issues.js';
import { readYaml, type ConfigProblem } from '../config/read-yaml.js';
import { Policy } from './schema.js';
import { inspectManifests, type InspectedManifests, type ManifestFile } from './inspect-manifests.js';
import { unsafePathReason } from './unsafe-path-reason.js';

/** Where the policy lives in the config repo. */
export const POLICY_PATH = '.github/s2i-policy.yml';

/** One deploy's writes, as the policy judges them. */
export interface PolicyRequest {
  /** The app repo, `owner/name`. */
  repo: string;
  /** Paths to be written, relative to the config repo root. */
  files: string[];
  /** Namespaces the written manifests target. */
  namespaces: string[];
  /**
   * The manifests among `files`, with the exact text to be committed: their objects are parsed and judged here
   * (allowed kinds, namespaces, host access), so what is checked is what is written.
   */
  manifests?: ManifestFile[];
  /** Kinds the operator allows (`S2I_ALLOWED_KINDS`); default Deployment, Service and Kustomization. */
  allowedKinds?: readonly string[];
}

export type ParsedPolicy = { ok: true; policy: Policy } | { ok: false; problems: string[] };

export type PolicyDecision = { allowed: true } | { allowed: false; reason: string; hint: string };

type Grant = Policy['allow'][number];

/** `dot`: a granted directory includes its dotfiles; `nonegate`: `!` is never "everything except". */
const GLOB_OPTIONS = { dot: true, nonegate: true, windows: false } as const;

/**
 * Parses the config repo's policy file; `undefined` means the file does not exist. Each problem is one line of
 * text naming the file and, where known, the line, except the missing-file problem, which shows a complete
 * example; `example` tailors it to the deploy that needed the policy.
 */
export function parsePolicy(text: string | undefined, example?: PolicyRequest): ParsedPolicy {
  if (text === undefined) {
    const entry = example ? grantFor(example.repo, example.files, example.namespaces) : grantFor('acme/hello', ['apps/hello/production/deployment.yaml'], ['demo']);
    return {
      ok: false,
      problems: [
        `${POLICY_PATH} is missing in the config repo, and nothing is written without it; add it with an allow entry for each app repo, for example:\n\nallow:\n${entry}`,
      ],
    };
  }
  const read = readYaml(text);
  if (!read.ok) return { ok: false, problems: read.problems.map(formatProblem) };
  const result = Policy.safeParse(read.file.value, { reportInput: true });
  if (result.success) return { ok: true, policy: result.data };
  return { ok: false, problems: describeIssues(result.error.issues, { schema: Policy, file: read.file }).map(formatProblem) };
}

function formatProblem(problem: ConfigProblem): string {
  return `${POLICY_PATH}${problem.line ? ` line ${problem.line}` : ''}: ${problem.message}`;
}

/**
 * Grants a deploy only when a single `allow` entry for its repo covers every file and every namespace; a repo with
 * two narrow entries cannot combine them into a wider one. Unsafe paths (absolute, `..`, backslashes, look-alike
 * Unicode, `.git`, `.github/`) are refused whatever the globs say. The objects of `manifests` are judged as
 * written: a kind the operator does not allow or an object without a namespace is refused, every namespace they
 * name must be granted, and host access (hostPath, host namespaces and ports, privileged, added capabilities) needs
 * `allowHost: true` on the entry. A refusal names the file, field or namespace that is not granted, and the hint
 * shows an allow entry that would grant it.
 */
export function checkPolicy(policy: Policy, given: PolicyRequest): PolicyDecision {
  for (const file of given.files) {
    const unsafe = unsafePathReason(file);
    if (unsafe) {
      return {
        allowed: false,
        reason: `refused to write "${file}" into the config repo: the path ${unsafe}`,
        hint: "no allow entry can grant this path; the directory comes from gitops.path in the app repo's .github/s2i.yml, so make it a plain relative directory such as apps/{{name}}/{{environment}}",
      };
    }
  }

  const inspected = inspectManifests(given.manifests ?? [], given.allowedKinds);
  if (inspected.problems.length > 0) {
    return {
      allowed: false,
      reason: `refused to write the manifests into the config repo: ${inspected.problems.join('; ')}`,
      hint: 'no allow entry can grant this; fix the templates, or ask the operator to allow the kind with S2I_ALLOWED_KINDS',
    };
  }
  const request = { ...given, namespaces: [...new Set([...given.namespaces, ...inspected.namespaces])] };

  const grants = policy.allow.map((grant, index) => ({ grant, index })).filter(({ grant }) => repoMatches(grant.repo, request.repo));
  if (grants.length === 0) {
    return {
      allowed: false,
      reason: `${POLICY_PATH} in the config repo has no allow entry for ${request.repo}`,
      hint: addHint(request),
    };
  }

  const judged = grants.map(({ grant, index }) => {
    const matches = picomatch(grant.paths, GLOB_OPTIONS);
    return {
      grant,
      index,
      files: request.files.filter((file) => !matches(file)),
      namespaces: request.namespaces.filter((namespace) => !grant.namespaces.includes(namespace)),
    };
  });
  const covering = judged.filter((entry) => entry.files.length === 0 && entry.namespaces.length === 0);
  if (covering.length > 0) return hostAccessDecision(request.repo, covering, inspected.hostAccess);

  const best = judged.reduce((a, b) => (b.files.length + b.namespaces.length < a.files.length + a.namespaces.length ? b : a));
  const hint = best.grant.repo.includes('*') ? addHint(request) : widenHint(best.grant, best.index, best.files, best.namespaces);
  const fileNobodyGrants = request.files.find((file) => judged.every((entry) => entry.files.includes(file)));
  if (fileNobodyGrants !== undefined) {
    return { allowed: false, reason: `${POLICY_PATH} in the config repo does not grant ${request.repo} the path "${fileNobodyGrants}"`, hint };
  }
  const namespaceNobodyGrants = request.namespaces.find((namespace) => judged.every((entry) => entry.namespaces.includes(namespace)));
  if (namespaceNobodyGrants !== undefined) {
    return { allowed: false, reason: `${POLICY_PATH} in the config repo does not grant ${request.repo} the namespace "${namespaceNobodyGrants}"`, hint };
  }
  const missing = best.files.length > 0 ? `the path "${best.files[0]}"` : `the namespace "${best.namespaces[0]}"`;
  return {
    allowed: false,
    reason:
      `no single allow entry in ${POLICY_PATH} grants ${request.repo} everything this deploy writes: allow[${best.index}] comes closest ` +
      `but not ${missing}, which only another entry grants; one entry must cover every file and namespace of a deploy`,
    hint,
  };
}

/**
 * Host access is granted only by an entry that covers the whole deploy and says `allowHost: true`; the refusal
 * names the first field and proposes the covering entry with the flag set.
 */
function hostAccessDecision(repo: string, covering: Array<{ grant: Grant; index: number }>, hostAccess: InspectedManifests['hostAccess']): PolicyDecision {
  if (hostAccess.length === 0 || covering.some(({ grant }) => grant.allowHost)) return { allowed: true };
  const [first] = hostAccess;
  const { grant, index } = covering[0];
  const more = hostAccess.length > 1 ? ` (and ${hostAccess.length - 1} more: ${hostAccess.slice(1).map((access) => access.field).join(', ')})` : '';
  return {
    allowed: false,
    reason: `${first.file}: ${first.field}: ${first.what} reaches into the node, and ${POLICY_PATH} in the config repo does not grant ${repo} host access${more}`,
    hint: `only if ${repo} must reach into the cluster's nodes, set allowHost: true on allow[${index}] in ${POLICY_PATH} in the config repo:\n\nallow:\n${formatGrant({ ...grant, allowHost: true })}`,
  };
}

/** GitHub names are case-insensitive; `owner/*` covers every repository of that owner. */
function repoMatches(pattern: string, repo: string): boolean {
  const [owner, name] = pattern.toLowerCase().split('/');
  const [repoOwner, repoName, ...rest] = repo.toLowerCase().split('/');
  return rest.length === 0 && repoName !== undefined && owner === repoOwner && (name === '*' || name === repoName);
}

function addHint(request: PolicyRequest): string {
  return `add an allow entry to ${POLICY_PATH} in the config repo:\n\nallow:\n${grantFor(request.repo, request.files, request.namespaces)}`;
}

/** Widening names the entry's exact repo; a wildcard entry is never widened, since that would grant every repo of the owner. */
function widenHint(grant: Grant, index: number, files: string[], namespaces: string[]): string {
  const paths = [...grant.paths, ...globsFor(files)];
  const widened = { repo: grant.repo, paths, namespaces: [...grant.namespaces, ...namespaces], allowHost: grant.allowHost };
  return `widen allow[${index}] in ${POLICY_PATH} in the config repo so that it reads:\n\nallow:\n${formatGrant(widened)}`;
}

function grantFor(repo: string, files: string[], namespaces: string[]): string {
  return formatGrant({ repo, paths: globsFor(files), namespaces });
}

/** The directory the files share, as `dir/**`, or the files themselves when they share none. */
function globsFor(files: string[]): string[] {
  if (files.length === 0) return [];
  const directories = files.map((file) => file.split('/').slice(0, -1));
  const common: string[] = [];
  for (const [index, segment] of directories[0].entries()) {
    if (directories.every((directory) => directory[index] === segment)) common.push(segment);
    else break;
  }
  return common.length > 0 ? [`${common.join('/')}/**`] : [...files];
}

function formatGrant(grant: Pick<Grant, 'repo' | 'paths' | 'namespaces'> & { allowHost?: boolean }): string {
  const plain = (value: string) => (/^[A-Za-z0-9][\w./*-]*$/.test(value) && !value.includes('*') ? value : JSON.stringify(value));
  return [
    `  - repo: ${plain(grant.repo)}`,
    `    paths: [${grant.paths.map((path) => JSON.stringify(path)).join(', ')}]`,
    `    namespaces: [${grant.namespaces.map(plain).join(', ')}]`,
    ...(grant.allowHost ? ['    allowHost: true'] : []),
  ].join('\n');
}
