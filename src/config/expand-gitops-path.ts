import { unsafePathReason } from '../policy/unsafe-path-reason.js';

/** The values `gitops.path` may refer to. */
export interface GitopsPathValues {
  /** `deploy.name`. */
  name: string;
  /** The environment being deployed, a DNS-1123 label. */
  environment: string;
}

export type ExpandGitopsPathResult = { ok: true; path: string } | { ok: false; problem: string };

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/**
 * Replaces `{{name}}` and `{{environment}}` (spaces inside the braces allowed, as in Handlebars) and normalises the
 * result (`./` and doubled or trailing slashes dropped). Refuses, rather than repairs, what could leave the intended
 * directory: any other placeholder, an absolute path, a `..` segment, the repo root, and paths the policy would
 * refuse anyway. The same check runs when the config is parsed (with sample values) and when a path is rendered.
 */
export function expandGitopsPath(template: string, values: GitopsPathValues): ExpandGitopsPathResult {
  const unknown = [...template.matchAll(PLACEHOLDER)].map((match) => match[1]).filter((name) => name !== 'name' && name !== 'environment');
  if (unknown.length > 0) {
    return { ok: false, problem: `unknown placeholder {{${unknown[0]}}}; only {{name}} and {{environment}} are replaced` };
  }
  const expanded = template.replace(PLACEHOLDER, (_match, name: string) => (name === 'name' ? values.name : values.environment));
  // A brace left over is a placeholder written wrongly (`{name}`, `{{name}`), not a directory name anyone wants.
  if (/[{}]/.test(expanded)) {
    return { ok: false, problem: 'has a "{" or "}" outside a placeholder; write placeholders as {{name}} and {{environment}}' };
  }
  if (expanded.startsWith('/') || /^[A-Za-z]:/.test(expanded)) {
    return { ok: false, problem: 'expected a directory relative to the root of the config repo, not an absolute path' };
  }
  if (expanded.split('/').includes('..')) {
    return { ok: false, problem: 'expected a directory inside the config repo, without ".." segments' };
  }
  const path = expanded
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
  if (path === '') {
    return { ok: false, problem: 'names the root of the config repo; expected a subdirectory such as apps/{{name}}/{{environment}}' };
  }
  const unsafe = unsafePathReason(path);
  if (unsafe) return { ok: false, problem: `expected a plain directory inside the config repo, but the path ${unsafe}` };
  return { ok: true, path };
}
