import { parse, stringify } from 'yaml';

/** The pin's file name inside an environment's directory of the config repo, next to its manifests. */
export const PIN_FILE = 's2i-pin.yaml';

/**
 * A pinned environment: pushes still build, but nothing deploys there until `/s2i unpin`. Written by a rollback
 * so the next push does not undo it; kept in the config repo, where the team reviews what runs.
 */
export interface Pin {
  environment: string;
  /** `owner/name` of the app repo. */
  repo: string;
  /** The commit whose image the environment is pinned to. */
  sha: string;
  /** `repository@sha256:…`. */
  image: string;
  /** GitHub login of who pinned it. */
  by: string;
  /** ISO 8601 time of pinning. */
  at: string;
  reason: string;
}

/** The file's text: a comment that explains it to a reader of the config repo, then the fields. */
export function renderPin(pin: Pin): string {
  return [
    `# ${pin.environment} of ${pin.repo} is pinned by s2i-bot: pushes are built but not deployed here.`,
    `# Comment "/s2i unpin ${pin.environment}" on ${pin.repo} to deploy again (or delete this file).`,
    stringify({ environment: pin.environment, repo: pin.repo, sha: pin.sha, image: pin.image, by: pin.by, at: pin.at, reason: pin.reason }),
  ].join('\n');
}

/**
 * The pin a file holds. A file someone edited by hand into something else still pins: its presence is the pin,
 * and the fields that can be read are shown.
 */
export function parsePin(text: string): Partial<Pin> {
  try {
    const value = parse(text, { maxAliasCount: 0 }) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
    const fields: Partial<Pin> = {};
    for (const key of ['environment', 'repo', 'sha', 'image', 'by', 'at', 'reason'] as const) {
      const field = (value as Record<string, unknown>)[key];
      if (typeof field === 'string') fields[key] = field;
    }
    return fields;
  } catch {
    return {};
  }
}

/** One line about a pin for check runs and comments: `pinned to abc1234 by @octocat (rollback)`. */
export function describePin(pin: Partial<Pin>): string {
  const to = pin.sha ? ` to ${pin.sha.slice(0, 7)}` : '';
  const by = pin.by ? ` by @${pin.by}` : '';
  const why = pin.reason ? ` (${pin.reason})` : '';
  return `pinned${to}${by}${why}`;
}
