import { describe, expect, it } from '@jest/globals';
import { expandGitopsPath, type ExpandGitopsPathResult } from '../../src/config/expand-gitops-path.js';

const values = { name: 'hello', environment: 'production' };

describe('config/expand-gitops-path', () => {
  it.each<[string, ExpandGitopsPathResult]>([
    ['apps/{{name}}/{{environment}}', { ok: true, path: 'apps/hello/production' }],
    ['{{environment}}/{{name}}', { ok: true, path: 'production/hello' }],
    ['apps/{{ name }}-{{environment}}', { ok: true, path: 'apps/hello-production' }],
    ['./apps/./{{name}}//', { ok: true, path: 'apps/hello' }],
    ['apps/{{nam}}', { ok: false, problem: 'unknown placeholder {{nam}}; only {{name}} and {{environment}} are replaced' }],
    ['apps/{{}}', { ok: false, problem: 'unknown placeholder {{}}; only {{name}} and {{environment}} are replaced' }],
    ['apps/{{name}}}', { ok: false, problem: 'has a "{" or "}" outside a placeholder; write placeholders as {{name}} and {{environment}}' }],
    ['apps/{name}', { ok: false, problem: 'has a "{" or "}" outside a placeholder; write placeholders as {{name}} and {{environment}}' }],
    ['/apps', { ok: false, problem: 'expected a directory relative to the root of the config repo, not an absolute path' }],
    ['C:/apps', { ok: false, problem: 'expected a directory relative to the root of the config repo, not an absolute path' }],
    ['apps/../..', { ok: false, problem: 'expected a directory inside the config repo, without ".." segments' }],
    ['.', { ok: false, problem: 'names the root of the config repo; expected a subdirectory such as apps/{{name}}/{{environment}}' }],
    ['apps\\{{name}}', { ok: false, problem: 'expected a plain directory inside the config repo, but the path contains a backslash' }],
    ['apps/\u0000/x', { ok: false, problem: 'expected a plain directory inside the config repo, but the path contains a control character' }],
    ['.GitHub/{{name}}', { ok: false, problem: "expected a plain directory inside the config repo, but the path is inside .github/, which holds the config repo's own settings" }],
  ])('expands %j', (template, expected) => {
    const result = expandGitopsPath(template, values);

    expect(result).toEqual(expected);
  });
});
