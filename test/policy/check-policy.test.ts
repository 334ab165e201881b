import { describe, expect, it } from '@jest/globals';
import { checkPolicy, parsePolicy, POLICY_PATH, type ParsedPolicy, type PolicyDecision, type PolicyRequest } from '../../src/policy/check-policy.js';
import type { Policy } from '../../src/policy/schema.js';
import { renderManifests } from '../../src/render/render-manifests.js';
import { fullInput } from '../render/render-fixtures.js';

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

      expect(policyOf(parsed)).toEqual({ allow: [{ repo: 'acme/hello', paths: ['apps/hello/**'], namespaces: ['demo'], allowHost: false }] });
    });

    it('reads allowHost, which grants host access to one entry only', () => {
      const parsed = parsePolicy('allow:\n  - { repo: acme/agent, paths: ["apps/agent/**"], namespaces: [agent], allowHost: true }\n  - { repo: acme/hello, paths: ["apps/hello/**"], namespaces: [demo] }\n');

      expect(policyOf(parsed).allow.map((grant) => grant.allowHost)).toEqual([true, false]);
    });

    it('refuses an allowHost that is not a boolean, naming its line', () => {
      const parsed = parsePolicy('allow:\n  - repo: acme/agent\n    paths: ["apps/agent/**"]\n    namespaces: [agent]\n    allowHost: "yes"\n');

      expect(problemsOf(parsed)).toEqual(['.github/s2i-policy.yml line 5: allow[0].allowHost: expected true or false, got "yes"']);
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
  describe('checkPolicy on the manifests as they will be written', () => {
    const policy = policyOf(
      parsePolicy(`allow:
  - repo: acme/hello
    paths: ["apps/hello/**"]
    namespaces: [demo]
  - repo: acme/agent
    paths: ["apps/agent/**"]
    namespaces: [agent]
    allowHost: true
  - repo: acme/agent
    paths: ["apps/agent-narrow/**"]
    namespaces: [demo]
    allowHost: true
`),
    );
    const rendered = renderManifests(fullInput()).files;
    const DEPLOYMENT = 'apps/hello/production/deployment.yaml';

    /** The rendered files with the Deployment replaced by `text`. */
    function withDeployment(text: string): PolicyRequest {
      const manifests = rendered.map((file) => (file.path === DEPLOYMENT ? { path: file.path, content: text } : file));
      return { repo: 'acme/hello', files: manifests.map((file) => file.path), namespaces: ['demo'], manifests };
    }

    const HOST_NETWORK = `apiVersion: apps/v1
kind: Deployment
metadata: { name: hello, namespace: demo }
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: hello
          image: registry.example.com/acme/hello@sha256:${'4f'.repeat(32)}
          securityContext: { privileged: true }
`;

    it('grants the manifests the bundled templates render', () => {
      const decision = checkPolicy(policy, { repo: 'acme/hello', files: rendered.map((file) => file.path), namespaces: ['demo'], manifests: rendered });

      expect(decision).toEqual({ allowed: true });
    });

    it('refuses host access the entry does not grant, naming the file and field and proposing allowHost', () => {
      const decision = checkPolicy(policy, withDeployment(HOST_NETWORK));

      expect(denial(decision)).toEqual({
        reason:
          "apps/hello/production/deployment.yaml: spec.template.spec.hostNetwork: hostNetwork: true (the node's network) reaches into the node, and .github/s2i-policy.yml in the config repo does not grant acme/hello host access (and 1 more: spec.template.spec.containers[0].securityContext.privileged)",
        hint: 'only if acme/hello must reach into the cluster\'s nodes, set allowHost: true on allow[0] in .github/s2i-policy.yml in the config repo:\n\nallow:\n  - repo: acme/hello\n    paths: ["apps/hello/**"]\n    namespaces: [demo]\n    allowHost: true',
      });
    });

    it('grants host access to an entry with allowHost: true that covers the deploy', () => {
      const request = withDeployment(HOST_NETWORK.replace(/namespace: demo/, 'namespace: agent'));
      const moved = request.manifests?.map((file) => ({ path: file.path.replace('apps/hello/', 'apps/agent/'), content: file.content.replace(/"?demo"?/g, 'agent') })) ?? [];

      const decision = checkPolicy(policy, { repo: 'acme/agent', files: moved.map((file) => file.path), namespaces: ['agent'], manifests: moved });

      expect(decision).toEqual({ allowed: true });
    });

    it('does not let an allowHost entry that covers other paths grant host access', () => {
      const request = { ...withDeployment(HOST_NETWORK), repo: 'acme/other' };
      const wide = policyOf(parsePolicy('allow:\n  - { repo: acme/other, paths: ["apps/hello/**"], namespaces: [demo] }\n  - { repo: acme/other, paths: ["apps/other/**"], namespaces: [demo], allowHost: true }\n'));

      const decision = checkPolicy(wide, request);

      expect(denial(decision).reason).toMatch(/^apps\/hello\/production\/deployment\.yaml: spec\.template\.spec\.hostNetwork: .* does not grant acme\/other host access/);
    });

    it('takes the namespaces from the objects, not from the config: an object elsewhere needs its namespace granted', () => {
      const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: hello, namespace: kube-system }\n';

      const decision = checkPolicy(policy, withDeployment(text));

      expect(denial(decision).reason).toBe('.github/s2i-policy.yml in the config repo does not grant acme/hello the namespace "kube-system"');
    });

    it.each<[string, string, string]>([
      ['a kind the operator did not allow', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: { name: own-the-cluster }\n', 'apps/hello/production/deployment.yaml: kind "ClusterRoleBinding" is not allowed (allowed kinds: Deployment, Service, Kustomization)'],
      ['an object without a namespace', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: hello }\n', 'apps/hello/production/deployment.yaml: the Deployment names no namespace; every object written must be in a namespace the policy grants'],
      ['a second document', 'apiVersion: v1\nkind: Service\nmetadata: { name: a, namespace: demo }\n---\napiVersion: v1\nkind: Secret\nmetadata: { name: b, namespace: demo }\n', 'apps/hello/production/deployment.yaml: the template renders 2 YAML documents; it must render exactly one object per file'],
      ['a custom tag', 'apiVersion: v1\nkind: !!js/function Service\nmetadata: { name: a, namespace: demo }\n', 'apps/hello/production/deployment.yaml: Unresolved tag: tag:yaml.org,2002:js/function at line 2, column 7; apps/hello/production/deployment.yaml: line 2: explicit YAML tags (tag:yaml.org,2002:js/function) are not allowed'],
    ])('refuses %s whatever the grant says', (_name, text, problem) => {
      const wide = policyOf(parsePolicy('allow:\n  - { repo: acme/hello, paths: ["**"], namespaces: [demo], allowHost: true }\n'));

      const decision = checkPolicy(wide, withDeployment(text));

      expect(denial(decision)).toEqual({
        reason: `refused to write the manifests into the config repo: ${problem}`,
        hint: 'no allow entry can grant this; fix the templates, or ask the operator to allow the kind with S2I_ALLOWED_KINDS',
      });
    });

    it('accepts a kind the operator allows', () => {
      const request = { ...withDeployment('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: hello, namespace: demo }\ndata: { hostPath: /etc }\n'), allowedKinds: ['ConfigMap', 'Service', 'Kustomization'] };

      const decision = checkPolicy(policy, request);

      expect(decision).toEqual({ allowed: true });
    });
  });
});
