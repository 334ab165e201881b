import { describe, expect, it } from '@jest/globals';
import { checkPolicy, parsePolicy, POLICY_PATH, type ParsedPolicy, type PolicyDecision, type PolicyRequest } from '../../src/policy/check-policy.js';
import type { Policy } from '../../src/policy/schema.js';

/** The example of PRODUCT §4, comments included. */
const PRODUCT_EXAMPLE = `allow:
  - repo: acme/hello            # or acme/*
    paths: ["apps/hello/**"]    # where its manifests may be written
    namespaces: [demo]          # which namespaces they may target
`;

const FILES = ['apps/hello/production/deployment.yaml', 'apps/hello/production/service.yaml', 'apps/hello/production/kustomization.yaml'];

const request: PolicyRequest = { repo: 'acme/hello', files: FILES, namespaces: ['demo'] };

function policyOf(parsed: ParsedPolicy): Policy {
  if (!parsed.ok) throw new Error(`expected a valid policy, got ${JSON.stringify(parsed.problems)}`);
  return parsed.policy;
}

function problemsOf(parsed: ParsedPolicy): string[] {
  if (parsed.ok) throw new Error('expected problems, got a valid policy');
  return parsed.problems;
}

function denial(decision: PolicyDecision): { reason: string; hint: string } {
  if (decision.allowed) throw new Error('expected a denial, got allowed');
  return { reason: decision.reason, hint: decision.hint };
}

describe('policy/check-policy', () => {
  it('lives at .github/s2i-policy.yml', () => {
    expect(POLICY_PATH).toBe('.github/s2i-policy.yml');
  });

  describe('parsePolicy', () => {
    it('parses the example of the product specification', () => {
      const parsed = parsePolicy(PRODUCT_EXAMPLE);

      expect(policyOf(parsed)).toEqual({ allow: [{ repo: 'acme/hello', paths: ['apps/hello/**'], namespaces: ['demo'] }] });
    });

    it('accepts an empty allow list, which grants nothing', () => {
      const parsed = parsePolicy('allow: []\n');

      expect(policyOf(parsed)).toEqual({ allow: [] });
    });

    it('explains a missing file with an example for the deploy that needed it', () => {
      const parsed = parsePolicy(undefined, request);

      expect(problemsOf(parsed)).toEqual([
        [
          '.github/s2i-policy.yml is missing in the config repo, and nothing is written without it; add it with an allow entry for each app repo, for example:',
          '',
          'allow:',
          '  - repo: acme/hello',
          '    paths: ["apps/hello/production/**"]',
          '    namespaces: [demo]',
        ].join('\n'),
      ]);
    });

    it('explains a missing file with a generic example when no deploy is given', () => {
      const parsed = parsePolicy(undefined);

      expect(problemsOf(parsed)[0]).toContain('allow:\n  - repo: acme/hello\n    paths: ["apps/hello/production/**"]\n    namespaces: [demo]');
    });

    it.each<[string, string, string[]]>([
      ['an empty file', '', ['.github/s2i-policy.yml: expected a mapping with an allow list, got an empty value']],
      ['a list at the top', '- repo: acme/hello\n', ['.github/s2i-policy.yml line 1: expected a mapping with an allow list, got a list']],
      ['a typo in a top-level key', 'allows: []\n', ['.github/s2i-policy.yml line 1: allows: unknown key (did you mean "allow"?)']],
      ['a mapping instead of a list', 'allow:\n  repo: acme/hello\n', ['.github/s2i-policy.yml line 2: allow: expected a list of grants: - { repo: owner/name, paths: [...], namespaces: [...] }, got a mapping']],
      [
        'a typo in an entry',
        'allow:\n  - repo: acme/hello\n    path: ["apps/hello/**"]\n    namespaces: [demo]\n',
        ['.github/s2i-policy.yml line 3: allow[0].path: unknown key (did you mean "paths"?)'],
      ],
      [
        'a repo without owner',
        'allow:\n  - { repo: hello, paths: ["apps/**"], namespaces: [demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].repo: expected a repository as owner/name, or owner/* for every repository of an owner, got "hello"'],
      ],
      [
        'a wildcard owner',
        'allow:\n  - { repo: "*/*", paths: ["apps/**"], namespaces: [demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].repo: expected a repository as owner/name, or owner/* for every repository of an owner, got "*/*"'],
      ],
      [
        'an empty paths list',
        'allow:\n  - { repo: acme/hello, paths: [], namespaces: [demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].paths: expected at least one glob, such as ["apps/hello/**"], got an empty list'],
      ],
      [
        'an absolute glob',
        'allow:\n  - { repo: acme/hello, paths: ["/apps/**"], namespaces: [demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].paths[0]: expected a glob relative to the config repo root, such as apps/hello/** (no leading "/", no "..", no "!"), got "/apps/**"'],
      ],
      [
        'a traversing glob',
        'allow:\n  - { repo: acme/hello, paths: ["apps/../**"], namespaces: [demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].paths[0]: expected a glob relative to the config repo root, such as apps/hello/** (no leading "/", no "..", no "!"), got "apps/../**"'],
      ],
      [
        'a negated glob',
        'allow:\n  - { repo: acme/hello, paths: ["!apps/secret/**"], namespaces: [demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].paths[0]: expected a glob relative to the config repo root, such as apps/hello/** (no leading "/", no "..", no "!"), got "!apps/secret/**"'],
      ],
      [
        'a missing namespaces list',
        'allow:\n  - { repo: acme/hello, paths: ["apps/**"] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].namespaces: missing, expected a list of namespaces, such as [demo]'],
      ],
      [
        'an invalid namespace',
        'allow:\n  - { repo: acme/hello, paths: ["apps/**"], namespaces: [Demo] }\n',
        ['.github/s2i-policy.yml line 2: allow[0].namespaces[0]: expected a namespace name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got "Demo"'],
      ],
      ['a YAML syntax error', 'allow: [\n', ['.github/s2i-policy.yml line 2: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]']],
      ['a custom tag', 'allow: !include other.yml\n', ['.github/s2i-policy.yml line 1: the YAML tag !include is not allowed; write plain values without tags']],
      ['a duplicate key', 'allow: []\nallow: []\n', ['.github/s2i-policy.yml line 2: duplicate key "allow": a key may appear only once in a mapping']],
      ['a file over 64 KiB', `allow: []\n#${'x'.repeat(70 * 1024)}\n`, ['.github/s2i-policy.yml: the file is 71 KiB, larger than the 64 KiB limit; it holds settings only, so shorten it']],
    ])('reports %s', (_name, text, expected) => {
      const parsed = parsePolicy(text);

      expect(problemsOf(parsed)).toEqual(expected);
    });
  });

  describe('checkPolicy', () => {
    const policy = policyOf(
      parsePolicy(`allow:
  - repo: acme/hello
    paths: ["apps/hello/**"]
    namespaces: [demo]
  - repo: acme/*
    paths: ["apps/shared/*/*.yaml"]
    namespaces: [shared]
  - repo: acme/split
    paths: ["apps/split/**"]
    namespaces: [one]
  - repo: acme/split
    paths: ["other/split/**"]
    namespaces: [two]
`),
    );

    it.each<[string, PolicyRequest]>([
      ['the files and namespace of its entry', request],
      ['a repo name in other letter case', { ...request, repo: 'ACME/Hello' }],
      ['an owner wildcard', { repo: 'acme/anything', files: ['apps/shared/anything/deployment.yaml'], namespaces: ['shared'] }],
      ['an owner wildcard in other letter case', { repo: 'Acme/Other', files: ['apps/shared/x/service.yaml'], namespaces: ['shared'] }],
      ['a dotfile in a granted directory', { ...request, files: ['apps/hello/production/.s2i-pin.yaml'] }],
      ['one of two entries covering everything', { repo: 'acme/split', files: ['apps/split/a.yaml'], namespaces: ['one'] }],
      ['a deploy that writes nothing', { ...request, files: [], namespaces: [] }],
    ])('grants %s', (_name, asked) => {
      const decision = checkPolicy(policy, asked);

      expect(decision).toEqual({ allowed: true });
    });

    it('refuses a repo without an entry, showing the entry to add', () => {
      const decision = checkPolicy(policy, { repo: 'other/hello', files: FILES, namespaces: ['demo'] });

      expect(denial(decision)).toEqual({
        reason: '.github/s2i-policy.yml in the config repo has no allow entry for other/hello',
        hint: 'add an allow entry to .github/s2i-policy.yml in the config repo:\n\nallow:\n  - repo: other/hello\n    paths: ["apps/hello/production/**"]\n    namespaces: [demo]',
      });
    });

    it('refuses a path outside the granted globs, showing the widened entry', () => {
      const decision = checkPolicy(policy, { ...request, files: ['apps/other/production/deployment.yaml'] });

      expect(denial(decision)).toEqual({
        reason: '.github/s2i-policy.yml in the config repo does not grant acme/hello the path "apps/other/production/deployment.yaml"',
        hint: 'widen allow[0] in .github/s2i-policy.yml in the config repo so that it reads:\n\nallow:\n  - repo: acme/hello\n    paths: ["apps/hello/**", "apps/other/production/**"]\n    namespaces: [demo]',
      });
    });

    it('refuses a namespace that is not granted, showing the widened entry', () => {
      const decision = checkPolicy(policy, { ...request, namespaces: ['prod'] });

      expect(denial(decision)).toEqual({
        reason: '.github/s2i-policy.yml in the config repo does not grant acme/hello the namespace "prod"',
        hint: 'widen allow[0] in .github/s2i-policy.yml in the config repo so that it reads:\n\nallow:\n  - repo: acme/hello\n    paths: ["apps/hello/**"]\n    namespaces: [demo, prod]',
      });
    });

    it('does not widen an owner wildcard: it proposes an entry for the one repo', () => {
      const decision = checkPolicy(policy, { repo: 'acme/web', files: ['apps/shared/web/deployment.yaml'], namespaces: ['web'] });

      expect(denial(decision)).toEqual({
        reason: '.github/s2i-policy.yml in the config repo does not grant acme/web the namespace "web"',
        hint: 'add an allow entry to .github/s2i-policy.yml in the config repo:\n\nallow:\n  - repo: acme/web\n    paths: ["apps/shared/web/**"]\n    namespaces: [web]',
      });
    });

    it('does not let two entries add up to one grant', () => {
      const decision = checkPolicy(policy, { repo: 'acme/split', files: ['apps/split/a.yaml'], namespaces: ['two'] });

      expect(denial(decision).reason).toBe(
        'no single allow entry in .github/s2i-policy.yml grants acme/split everything this deploy writes: allow[2] comes closest but not the namespace "two", which only another entry grants; one entry must cover every file and namespace of a deploy',
      );
    });

    it('keeps * within one directory', () => {
      const decision = checkPolicy(policy, { repo: 'acme/x', files: ['apps/shared/x/nested/deployment.yaml'], namespaces: ['shared'] });

      expect(denial(decision).reason).toBe('.github/s2i-policy.yml in the config repo does not grant acme/x the path "apps/shared/x/nested/deployment.yaml"');
    });

    it('proposes the files themselves when they share no directory', () => {
      const decision = checkPolicy(policy, { repo: 'new/app', files: ['a.yaml', 'b/c.yaml'], namespaces: ['demo'] });

      expect(denial(decision).hint).toBe('add an allow entry to .github/s2i-policy.yml in the config repo:\n\nallow:\n  - repo: new/app\n    paths: ["a.yaml", "b/c.yaml"]\n    namespaces: [demo]');
    });

    it.each<[string, string]>([
      ['apps/hello/../../etc/passwd', 'contains a ".." segment'],
      ['/apps/hello/production/deployment.yaml', 'is absolute'],
      ['apps/hello\\..\\..\\x.yaml', 'contains a backslash'],
      ['apps/hello/x\u0000.yaml', 'contains a control character'],
      ['apps/hello/\uff0e\uff0e/x.yaml', 'contains look-alike Unicode characters (compatibility forms such as fullwidth letters)'],
      ['apps/hello/cafe\u0301.yaml', 'is not in Unicode normal form NFC'],
      ['apps/hello/.git/config', 'is inside .git'],
    ])('refuses %j even though the glob apps/hello/** matches its text', (file, why) => {
      const wide = policyOf(parsePolicy('allow:\n  - { repo: acme/hello, paths: ["**"], namespaces: [demo] }\n'));

      const decision = checkPolicy(wide, { ...request, files: [FILES[0], file] });

      expect(denial(decision)).toEqual({
        reason: `refused to write "${file}" into the config repo: the path ${why}`,
        hint: "no allow entry can grant this path; the directory comes from gitops.path in the app repo's .github/s2i.yml, so make it a plain relative directory such as apps/{{name}}/{{environment}}",
      });
    });

    it('never grants the policy file itself, even to **', () => {
      const wide = policyOf(parsePolicy('allow:\n  - { repo: acme/hello, paths: ["**"], namespaces: [demo] }\n'));

      const decision = checkPolicy(wide, { ...request, files: [POLICY_PATH] });

      expect(denial(decision).reason).toBe(`refused to write "${POLICY_PATH}" into the config repo: the path is inside .github/, which holds the config repo's own settings`);
    });

    it.each([['acme/hello/extra'], ['acme'], ['']])('refuses the malformed repo name %j', (repo) => {
      const decision = checkPolicy(policy, { ...request, repo });

      expect(denial(decision).reason).toBe(`.github/s2i-policy.yml in the config repo has no allow entry for ${repo}`);
    });
  });
});
