import { describe, expect, it } from '@jest/globals';
import { parseRepoConfig } from '../../src/config/load-repo-config.js';
import { commentProblem, environmentProblem, MAX_BRANCH_ENTRIES, MAX_COMMENT_BYTES, shaProblem } from '../../src/security/input-limits.js';

const MINIMAL = 'builder: registry.example.com/s2i/nodejs:20\nimage: registry.example.com/acme/hello\ngitops: { repo: acme/cluster-config }\n';

function configWithBranches(count: number): string {
  const entries = Array.from({ length: count }, (_, index) => `  release-${index}: { environment: env-${index} }`);
  return `${MINIMAL}branches:\n${entries.join('\n')}\n`;
}

describe('security/input-limits', () => {
  describe('commentProblem', () => {
    it('reads any comment GitHub can hold: 65,536 four-byte characters', () => {
      expect(commentProblem('😀'.repeat(65_536 / 2))).toBeUndefined();
      expect(commentProblem('/s2i deploy staging')).toBeUndefined();
    });

    it('refuses a body larger than a GitHub comment, saying nothing was run', () => {
      const body = `/s2i rebuild\n${'x'.repeat(MAX_COMMENT_BYTES)}`;

      expect(commentProblem(body)).toBe(`the comment is ${Buffer.byteLength(body)} bytes, more than a GitHub comment can hold (${MAX_COMMENT_BYTES}); no command in it was run`);
    });

    it('refuses a body with a NUL character', () => {
      expect(commentProblem('/s2i deploy\u0000 production')).toBe('the comment contains a NUL character, which no GitHub comment has; no command in it was run');
    });
  });

  describe('environmentProblem', () => {
    it.each(['production', 'staging-2', 'a', 'x'.repeat(63)])('accepts %j', (name) => {
      expect(environmentProblem(name)).toBeUndefined();
    });

    it.each<[string, string]>([
      ['Production', '"Production"'],
      ['../prod', '"../prod"'],
      ['prod\nkind: ClusterRole', '"prod\\nkind: ClusterRole"'],
      ['prod\u202egnp.exe', '"prod\\u202egnp.exe"'],
      ['x'.repeat(64), `"${'x'.repeat(64)}"`],
      ['x'.repeat(100_000), `"${'x'.repeat(59)}…" (100000 characters)`],
      ['', '""'],
    ])('refuses %j, quoting it escaped and short', (name, shown) => {
      expect(environmentProblem(name)).toBe(`${shown} is not an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit`);
    });
  });

  describe('shaProblem', () => {
    it.each(['4f2a9c1', 'a'.repeat(40)])('accepts %j', (sha) => {
      expect(shaProblem(sha)).toBeUndefined();
    });

    it.each(['4f2a9c', 'A'.repeat(40), 'a'.repeat(41), 'HEAD~1', '4f2a9c1; rm -rf /', 'main'])('refuses %j', (sha) => {
      expect(shaProblem(sha)).toBe(`${JSON.stringify(sha)} is not a commit SHA: 7 to 40 lowercase hexadecimal digits, such as 4f2a9c1`);
    });
  });

  describe(`at most ${MAX_BRANCH_ENTRIES} branches entries in .github/s2i.yml`, () => {
    it(`accepts ${MAX_BRANCH_ENTRIES}`, () => {
      const parsed = parseRepoConfig(configWithBranches(MAX_BRANCH_ENTRIES), { defaults: { repoName: 'hello', defaultBranch: 'main' } });

      expect(parsed.ok).toBe(true);
    });

    it(`refuses ${MAX_BRANCH_ENTRIES + 1} with one problem at the branches key`, () => {
      const parsed = parseRepoConfig(configWithBranches(MAX_BRANCH_ENTRIES + 1), { defaults: { repoName: 'hello', defaultBranch: 'main' } });

      expect(parsed).toEqual({ ok: false, problems: [{ path: 'branches', line: 5, column: 3, message: `branches: expected at most ${MAX_BRANCH_ENTRIES} entries; use globs such as "release/*"` }] });
    });
  });
});
