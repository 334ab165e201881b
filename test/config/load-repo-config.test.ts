import { describe, expect, it } from '@jest/globals';
import {
  CONFIG_PATH,
  ConfigError,
  environmentForBranch,
  parseRepoConfig,
  readExtends,
  renderGitopsPath,
  type ConfigProblem,
  type ParsedConfig,
} from '../../src/config/load-repo-config.js';
import type { RepoConfig } from '../../src/config/schema.js';

const defaults = { repoName: 'hello', defaultBranch: 'main' };

/** The example of PRODUCT §3, comments included. */
const PRODUCT_EXAMPLE = `builder: registry.example.com/s2i/nodejs:20   # required: S2I builder image
image: registry.example.com/acme/hello        # required: repository, no tag
contextDir: .                                  # source subdirectory (default: repo root)
env: { NODE_ENV: production }                  # build and runtime environment (container env of the Deployment)
secretEnv:                                     # runtime only, from Kubernetes Secrets; values never in git
  DB_PASSWORD: { secret: hello-db, key: password }
incremental: true                              # reuse save-artifacts of the previous image
branches:                                      # default: { <default branch>: { environment: production } }
  main: { environment: production }
  "release/*": { environment: staging }
deploy:
  name: hello                                  # default: repo name; must be a DNS-1123 label
  namespace: demo                              # default: "default"
  replicas: 1
  port: 8080                                   # containerPort
  service: { type: NodePort, port: 8080 }      # ClusterIP | NodePort | LoadBalancer
  readinessProbe: { path: /, port: 8080, initialDelaySeconds: 30, timeoutSeconds: 10 }
  resources: { requests: { cpu: 100m, memory: 128Mi }, limits: { memory: 256Mi } }
gitops:
  repo: acme/cluster-config                    # config repo, same installation
  branch: main                                 # default: its default branch
  path: apps/{{name}}/{{environment}}          # default as shown
  mode: commit                                 # commit | pull-request
`;

const MINIMAL = 'builder: registry.example.com/s2i/nodejs:20\nimage: registry.example.com/acme/hello\ngitops:\n  repo: acme/cluster-config\n';

/** The minimal file with all defaults applied, for repo "hello" with default branch "main". */
const MINIMAL_CONFIG: RepoConfig = {
  builder: 'registry.example.com/s2i/nodejs:20',
  image: 'registry.example.com/acme/hello',
  contextDir: '.',
  env: {},
  secretEnv: {},
  incremental: false,
  branches: { main: { environment: 'production' } },
  environments: [],
  deploy: { name: 'hello', namespace: 'default', replicas: 1, port: 8080, service: { type: 'ClusterIP', port: 8080 } },
  gitops: { repo: 'acme/cluster-config', path: 'apps/{{name}}/{{environment}}', mode: 'commit' },
};

function config(parsed: ParsedConfig): RepoConfig {
  if (!parsed.ok) throw new Error(`expected a valid config, got ${JSON.stringify(parsed.problems)}`);
  return parsed.config;
}

function problems(parsed: ParsedConfig): ConfigProblem[] {
  if (parsed.ok) throw new Error('expected problems, got a valid config');
  return parsed.problems;
}

/** A valid file with some lines added: the problems of a table case come from those lines only. */
function minimalPlus(...lines: string[]): string {
  return `${MINIMAL}${lines.join('\n')}\n`;
}

describe('config/load-repo-config', () => {
  describe('parseRepoConfig: valid files', () => {
    it('parses the example of the product specification', () => {
      const parsed = parseRepoConfig(PRODUCT_EXAMPLE, { defaults });

      expect(config(parsed)).toEqual({
        builder: 'registry.example.com/s2i/nodejs:20',
        image: 'registry.example.com/acme/hello',
        contextDir: '.',
        env: { NODE_ENV: 'production' },
        secretEnv: { DB_PASSWORD: { secret: 'hello-db', key: 'password' } },
        incremental: true,
        branches: { main: { environment: 'production' }, 'release/*': { environment: 'staging' } },
        environments: [],
        deploy: {
          name: 'hello',
          namespace: 'demo',
          replicas: 1,
          port: 8080,
          service: { type: 'NodePort', port: 8080 },
          readinessProbe: { path: '/', port: 8080, initialDelaySeconds: 30, timeoutSeconds: 10 },
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        },
        gitops: { repo: 'acme/cluster-config', branch: 'main', path: 'apps/{{name}}/{{environment}}', mode: 'commit' },
      });
    });

    it('fills every default for a file with only builder, image and gitops.repo', () => {
      const parsed = parseRepoConfig(MINIMAL, { defaults });

      expect(config(parsed)).toEqual(MINIMAL_CONFIG);
    });

    it.each<[string, string, Partial<RepoConfig>]>([
      ['the default branch deploys to production', 'trunk', { branches: { trunk: { environment: 'production' } } }],
      ['deploy.name from a repo name with capitals and dots', 'My_App.js', { deploy: { ...MINIMAL_CONFIG.deploy, name: 'my-app-js' } }],
      ['deploy.name from a repo name that starts with a dot', '.github', { deploy: { ...MINIMAL_CONFIG.deploy, name: 'github' } }],
      ['deploy.name "app" when nothing DNS-safe is left', '___', { deploy: { ...MINIMAL_CONFIG.deploy, name: 'app' } }],
      ['deploy.name cut to 63 characters', 'a'.repeat(70), { deploy: { ...MINIMAL_CONFIG.deploy, name: 'a'.repeat(63) } }],
    ])('defaults: %s', (_name, repoOrBranch, expected) => {
      const isBranch = !('deploy' in expected);
      const options = { defaults: isBranch ? { ...defaults, defaultBranch: repoOrBranch } : { ...defaults, repoName: repoOrBranch } };

      const parsed = parseRepoConfig(MINIMAL, options);

      expect(config(parsed)).toEqual({ ...MINIMAL_CONFIG, ...expected });
    });

    it.each<[string, string[], (config: RepoConfig) => unknown, unknown]>([
      ['env numbers and booleans as written', ['env: { PORT: 8080, VERSION: 1.10, DEBUG: true, HEX: 0x1F, TEXT: "a" }'], (c) => c.env, { PORT: '8080', VERSION: '1.10', DEBUG: 'true', HEX: '0x1F', TEXT: 'a' }],
      ['quantities written as numbers', ['deploy: { resources: { requests: { cpu: 0.5 }, limits: { cpu: 1, memory: 1e9 } } }'], (c) => c.deploy.resources, { requests: { cpu: '0.5' }, limits: { cpu: '1', memory: '1e9' } }],
      ['service.port and readinessProbe.port follow deploy.port', ['deploy: { port: 3000, readinessProbe: { path: /healthz } }'], (c) => [c.deploy.service, c.deploy.readinessProbe], [{ type: 'ClusterIP', port: 3000 }, { path: '/healthz', port: 3000 }]],
      ['a LoadBalancer with a nodePort', ['deploy: { service: { type: LoadBalancer, port: 80, nodePort: 30080 } }'], (c) => c.deploy.service, { type: 'LoadBalancer', port: 80, nodePort: 30080 }],
      ['contextDir normalised', ['contextDir: ./services//web/'], (c) => c.contextDir, 'services/web'],
      ['contextDir "./" is the root', ['contextDir: ./'], (c) => c.contextDir, '.'],
      ['zero replicas', ['deploy: { replicas: 0 }'], (c) => c.deploy.replicas, 0],
      ['incremental written out as false', ['incremental: false'], (c) => c.incremental, false],
      ['an explicit deploy name', ['deploy: { name: web }'], (c) => c.deploy.name, 'web'],
      ['a branch glob with braces', ['branches:', '  "{main,master}": { environment: production }'], (c) => c.branches, { '{main,master}': { environment: 'production' } }],
      ['an empty branches mapping', ['branches: {}'], (c) => c.branches, {}],
    ])('accepts %s', (_name, lines, select, expected) => {
      const parsed = parseRepoConfig(minimalPlus(...lines), { defaults });

      expect(select(config(parsed))).toEqual(expected);
    });

    it.each([
      ['127.0.0.1:5000/demo/hello'],
      ['localhost:5000/hello'],
      ['ghcr.io/acme/hello'],
      ['acme/hello'],
    ])('accepts the image repository %s', (image) => {
      const text = `builder: nodejs-builder\nimage: ${image}\ngitops: { repo: acme/cfg }\n`;

      const parsed = parseRepoConfig(text, { defaults });

      expect(config(parsed).image).toBe(image);
    });

    it.each([
      ['registry.example.com/s2i/nodejs:20'],
      ['registry.example.com/s2i/nodejs@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
      ['nodejs-builder'],
    ])('accepts the builder %s', (builder) => {
      const text = `builder: ${builder}\nimage: acme/hello\ngitops: { repo: acme/cfg }\n`;

      const parsed = parseRepoConfig(text, { defaults });

      expect(config(parsed).builder).toBe(builder);
    });

    it('accepts gitops mode pull-request, a branch and a quoted custom path', () => {
      const text = `${MINIMAL}  branch: deploy/staging\n  mode: pull-request\n  path: "clusters/prod/{{ environment }}/{{name}}"\n`;

      const parsed = parseRepoConfig(text, { defaults });

      expect(config(parsed).gitops).toEqual({ repo: 'acme/cluster-config', branch: 'deploy/staging', mode: 'pull-request', path: 'clusters/prod/{{ environment }}/{{name}}' });
    });

    it('accepts a file that only uses YAML anchors and aliases modestly', () => {
      const text = `${MINIMAL}branches:\n  main: &prod { environment: production }\n  hotfix: *prod\n`;

      const parsed = parseRepoConfig(text, { defaults });

      expect(config(parsed).branches).toEqual({ main: { environment: 'production' }, hotfix: { environment: 'production' } });
    });

    it('accepts explicit core tags such as !!str', () => {
      const text = `${MINIMAL}env: { VERSION: !!str 1.0 }\n`;

      const parsed = parseRepoConfig(text, { defaults });

      expect(config(parsed).env).toEqual({ VERSION: '1.0' });
    });
  });

  describe('parseRepoConfig: invalid files', () => {
    it.each<[string, string, Omit<ConfigProblem, 'column'>[]]>([
      [
        'a word for a number',
        minimalPlus('deploy:', '  replicas: two'),
        [{ path: 'deploy.replicas', line: 6, message: 'deploy.replicas: expected an integer ≥ 0, got "two"' }],
      ],
      [
        'a negative number',
        minimalPlus('deploy: { replicas: -1 }'),
        [{ path: 'deploy.replicas', line: 5, message: 'deploy.replicas: expected an integer ≥ 0, got -1' }],
      ],
      [
        'a fraction for an integer',
        minimalPlus('deploy: { port: 80.5 }'),
        [{ path: 'deploy.port', line: 5, message: 'deploy.port: expected a port number from 1 to 65535, got 80.5' }],
      ],
      [
        'a port out of range',
        minimalPlus('deploy:', '  service: { port: 70000 }'),
        [{ path: 'deploy.service.port', line: 6, message: 'deploy.service.port: expected a port number from 1 to 65535, got 70000' }],
      ],
      [
        'a nodePort outside the NodePort range',
        minimalPlus('deploy:', '  service: { type: NodePort, nodePort: 8080 }'),
        [{ path: 'deploy.service.nodePort', line: 6, message: 'deploy.service.nodePort: expected a port number from 30000 to 32767 (the NodePort range), got 8080' }],
      ],
      [
        'a nodePort on a ClusterIP Service',
        minimalPlus('deploy:', '  service: { nodePort: 30080 }'),
        [{ path: 'deploy.service.nodePort', line: 6, message: 'deploy.service.nodePort: only allowed with type NodePort or LoadBalancer; set the type or remove nodePort' }],
      ],
      [
        'an unknown Service type',
        minimalPlus('deploy:', '  service: { type: Ingress }'),
        [{ path: 'deploy.service.type', line: 6, message: 'deploy.service.type: expected ClusterIP, NodePort or LoadBalancer, got "Ingress"' }],
      ],
      [
        'yes for a boolean (YAML 1.2 reads it as text)',
        minimalPlus('incremental: yes'),
        [{ path: 'incremental', line: 5, message: 'incremental: expected true or false, got "yes"' }],
      ],
      [
        'a list for a mapping',
        minimalPlus('env: [A=1]'),
        [{ path: 'env', line: 5, message: 'env: expected a mapping of NAME: value, got a list' }],
      ],
      [
        'an empty value for a mapping',
        minimalPlus('deploy:'),
        [{ path: 'deploy', line: 5, message: 'deploy: expected a mapping with the Deployment settings (name, namespace, replicas, port, service, ...), got an empty value' }],
      ],
      [
        'a nested env value',
        minimalPlus('env:', '  A: { b: 1 }'),
        [{ path: 'env.A', line: 6, message: 'env.A: expected a text value (numbers and true/false are taken as written), got a mapping' }],
      ],
      [
        'an empty env value',
        minimalPlus('env:', '  A:'),
        [{ path: 'env.A', line: 6, message: 'env.A: expected a text value (numbers and true/false are taken as written), got an empty value' }],
      ],
      [
        'an env name with a dash',
        minimalPlus('env:', '  MY-VAR: x'),
        [{ path: 'env.MY-VAR', line: 6, message: 'env: invalid key "MY-VAR", expected an environment variable name (letters, digits and "_", not starting with a digit)' }],
      ],
      [
        'an env name starting with a digit',
        minimalPlus('env: { 1A: x }'),
        [{ path: 'env.1A', line: 5, message: 'env: invalid key "1A", expected an environment variable name (letters, digits and "_", not starting with a digit)' }],
      ],
      [
        'a variable in both env and secretEnv',
        minimalPlus('env: { DB: x }', 'secretEnv:', '  DB: { secret: db, key: password }'),
        [{ path: 'secretEnv.DB', line: 7, message: 'secretEnv.DB: also set in env; a variable comes either from env or from a Secret, not both' }],
      ],
      [
        'a Secret name with capitals',
        minimalPlus('secretEnv:', '  DB: { secret: Hello_DB, key: password }'),
        [{ path: 'secretEnv.DB.secret', line: 6, message: 'secretEnv.DB.secret: expected a Secret name: lowercase letters, digits, "-" and ".", at most 253, got "Hello_DB"' }],
      ],
      [
        'a secretEnv entry without its key',
        minimalPlus('secretEnv:', '  DB: { secret: db }'),
        [{ path: 'secretEnv.DB.key', line: 6, message: 'secretEnv.DB.key: missing, expected a key of the Secret: letters, digits, "-", "_" and ".", at most 253' }],
      ],
      [
        'a deploy name that is not a DNS label',
        minimalPlus('deploy: { name: Hello_World }'),
        [{ path: 'deploy.name', line: 5, message: 'deploy.name: expected a DNS-1123 label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got "Hello_World"' }],
      ],
      [
        'a deploy name of 64 characters',
        minimalPlus(`deploy: { name: ${'a'.repeat(64)} }`),
        [{ path: 'deploy.name', line: 5, message: `deploy.name: expected a DNS-1123 label: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got "${'a'.repeat(57)}..."` }],
      ],
      [
        'a namespace with a dot',
        minimalPlus('deploy: { namespace: team.demo }'),
        [{ path: 'deploy.namespace', line: 5, message: 'deploy.namespace: expected a namespace name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got "team.demo"' }],
      ],
      [
        'an environment name with capitals',
        minimalPlus('branches:', '  main: { environment: Production }'),
        [{ path: 'branches.main.environment', line: 6, message: 'branches.main.environment: expected an environment name: at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, got "Production"' }],
      ],
      [
        'a branch mapped to a bare name instead of a mapping',
        minimalPlus('branches:', '  "release/*": staging'),
        [{ path: 'branches["release/*"]', line: 6, message: 'branches["release/*"]: expected a mapping { environment: <name> }, got "staging"' }],
      ],
      [
        'a readiness path without a slash',
        minimalPlus('deploy: { readinessProbe: { path: healthz } }'),
        [{ path: 'deploy.readinessProbe.path', line: 5, message: 'deploy.readinessProbe.path: expected an HTTP path starting with "/", got "healthz"' }],
      ],
      [
        'a zero probe period',
        minimalPlus('deploy: { readinessProbe: { path: /, periodSeconds: 0 } }'),
        [{ path: 'deploy.readinessProbe.periodSeconds', line: 5, message: 'deploy.readinessProbe.periodSeconds: expected a whole number of seconds ≥ 1, got 0' }],
      ],
      [
        'a memory quantity with a wrong unit',
        minimalPlus('deploy:', '  resources:', '    limits: { memory: 256MB }'),
        [{ path: 'deploy.resources.limits.memory', line: 7, message: 'deploy.resources.limits.memory: expected a memory quantity such as 128Mi, 1Gi or 500M, got "256MB"' }],
      ],
      [
        'a negative CPU quantity',
        minimalPlus('deploy: { resources: { requests: { cpu: -1 } } }'),
        [{ path: 'deploy.resources.requests.cpu', line: 5, message: 'deploy.resources.requests.cpu: expected a CPU quantity such as 100m, 0.5 or 2, got "-1"' }],
      ],
      [
        'a request above its limit',
        minimalPlus('deploy:', '  resources:', '    requests: { memory: 1Gi }', '    limits: { memory: 512Mi }'),
        [{ path: 'deploy.resources.requests.memory', line: 7, message: 'deploy.resources.requests.memory: 1Gi is more than limits.memory 512Mi; a request may not exceed its limit' }],
      ],
      [
        'a config repo without owner',
        'builder: b\nimage: i\ngitops: { repo: cluster-config }\n',
        [{ path: 'gitops.repo', line: 3, message: 'gitops.repo: expected the config repo as owner/name, such as acme/cluster-config, got "cluster-config"' }],
      ],
      [
        'a config repo branch with a space',
        minimalPlus('  branch: my branch'),
        [{ path: 'gitops.branch', line: 5, message: 'gitops.branch: expected a branch name of the config repo, got "my branch"' }],
      ],
      [
        'an unknown gitops mode',
        minimalPlus('  mode: pr'),
        [{ path: 'gitops.mode', line: 5, message: 'gitops.mode: expected commit or pull-request, got "pr"' }],
      ],
      [
        'a builder that is not an image reference',
        'builder: Node JS\nimage: i\ngitops: { repo: acme/cfg }\n',
        [{ path: 'builder', line: 1, message: 'builder: expected an S2I builder image reference such as registry.example.com/s2i/nodejs:20, got "Node JS"' }],
      ],
      [
        'a non-string builder',
        'builder: 20\nimage: i\ngitops: { repo: acme/cfg }\n',
        [{ path: 'builder', line: 1, message: 'builder: expected an S2I builder image reference such as registry.example.com/s2i/nodejs:20, got 20' }],
      ],
    ])('reports %s', (_name, text, expected) => {
      const parsed = parseRepoConfig(text, { defaults });

      expect(problems(parsed).map(({ column: _column, ...problem }) => problem)).toEqual(expected);
    });

    it.each<[string, string, ConfigProblem[]]>([
      [
        'a tag',
        'builder: b\nimage: registry.example.com/acme/hello:1.0\ngitops: { repo: acme/cfg }\n',
        [{ path: 'image', line: 2, column: 8, message: 'image: expected an image repository without a tag (each build is tagged with its commit sha), got "registry.example.com/acme/hello:1.0"' }],
      ],
      [
        'a tag after a registry port',
        'builder: b\nimage: 127.0.0.1:5000/demo/hello:latest\ngitops: { repo: acme/cfg }\n',
        [{ path: 'image', line: 2, column: 8, message: 'image: expected an image repository without a tag (each build is tagged with its commit sha), got "127.0.0.1:5000/demo/hello:latest"' }],
      ],
      [
        'a digest',
        'builder: b\nimage: "acme/hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"\ngitops: { repo: acme/cfg }\n',
        [{ path: 'image', line: 2, column: 8, message: 'image: expected an image repository without a digest (each build is tagged with its commit sha), got "acme/hello@sha256:0123456789abcdef0123456789abcdef0123456..."' }],
      ],
      [
        'capitals',
        'builder: b\nimage: Acme/Hello\ngitops: { repo: acme/cfg }\n',
        [{ path: 'image', line: 2, column: 8, message: 'image: expected an image repository such as registry.example.com/acme/hello, got "Acme/Hello"' }],
      ],
    ])('refuses an image with %s', (_name, text, expected) => {
      const parsed = parseRepoConfig(text, { defaults });

      expect(problems(parsed)).toEqual(expected);
    });

    it.each<[string, string, ConfigProblem[]]>([
      [
        'at the top level',
        minimalPlus('imagee: x'),
        [{ path: 'imagee', line: 5, column: 1, message: 'imagee: unknown key (did you mean "image"?)' }],
      ],
      [
        'at the top level, with different case',
        minimalPlus('Deploy: {}'),
        [{ path: 'Deploy', line: 5, column: 1, message: 'Deploy: unknown key (did you mean "deploy"?)' }],
      ],
      [
        'in deploy',
        minimalPlus('deploy:', '  servce: { type: NodePort }'),
        [{ path: 'deploy.servce', line: 6, column: 3, message: 'deploy.servce: unknown key (did you mean "service"?)' }],
      ],
      [
        'in deploy, with swapped letters',
        minimalPlus('deploy:', '  namepsace: demo'),
        [{ path: 'deploy.namepsace', line: 6, column: 3, message: 'deploy.namepsace: unknown key (did you mean "namespace"?)' }],
      ],
      [
        'in deploy.service',
        minimalPlus('deploy:', '  service: { tpye: NodePort }'),
        [{ path: 'deploy.service.tpye', line: 6, column: 14, message: 'deploy.service.tpye: unknown key (did you mean "type"?)' }],
      ],
      [
        'in deploy.readinessProbe',
        minimalPlus('deploy:', '  readinessProbe: { path: /, initialDelay: 5 }'),
        [{ path: 'deploy.readinessProbe.initialDelay', line: 6, column: 30, message: 'deploy.readinessProbe.initialDelay: unknown key (expected one of: path, port, initialDelaySeconds, timeoutSeconds, periodSeconds)' }],
      ],
      [
        'in deploy.resources',
        minimalPlus('deploy:', '  resources: { request: { cpu: 1 } }'),
        [{ path: 'deploy.resources.request', line: 6, column: 16, message: 'deploy.resources.request: unknown key (did you mean "requests"?)' }],
      ],
      [
        'in deploy.resources.limits',
        minimalPlus('deploy:', '  resources: { limits: { mem: 1Gi } }'),
        [{ path: 'deploy.resources.limits.mem', line: 6, column: 26, message: 'deploy.resources.limits.mem: unknown key (expected one of: cpu, memory)' }],
      ],
      [
        'in gitops',
        minimalPlus('  repository: acme/other'),
        [{ path: 'gitops.repository', line: 5, column: 3, message: 'gitops.repository: unknown key (expected one of: repo, branch, path, mode)' }],
      ],
      [
        'in a branch entry, where the typo hides the missing key',
        minimalPlus('branches:', '  main: { enviroment: production }'),
        [{ path: 'branches.main.enviroment', line: 6, column: 11, message: 'branches.main.enviroment: unknown key (did you mean "environment"?)' }],
      ],
      [
        'in a secretEnv entry',
        minimalPlus('secretEnv:', '  DB: { secret: db, key: password, optional: true }'),
        [{ path: 'secretEnv.DB.optional', line: 6, column: 36, message: 'secretEnv.DB.optional: unknown key (expected one of: secret, key)' }],
      ],
    ])('reports an unknown key %s', (_name, text, expected) => {
      const parsed = parseRepoConfig(text, { defaults });

      expect(problems(parsed)).toEqual(expected);
    });

    it('reports the missing required keys of an empty file', () => {
      const parsed = parseRepoConfig('# nothing yet\n', { defaults });

      expect(problems(parsed)).toEqual([
        { path: 'builder', message: 'builder: missing, expected an S2I builder image reference such as registry.example.com/s2i/nodejs:20' },
        { path: 'image', message: 'image: missing, expected an image repository such as registry.example.com/acme/hello' },
        { path: 'gitops', message: 'gitops: missing, expected a mapping with at least repo: <owner/name of the config repo>' },
      ]);
    });

    it('points a missing nested key at its parent key', () => {
      const parsed = parseRepoConfig('builder: b\nimage: i\ngitops:\n  mode: commit\n', { defaults });

      expect(problems(parsed)).toEqual([{ path: 'gitops.repo', line: 3, column: 1, message: 'gitops.repo: missing, expected the config repo as owner/name, such as acme/cluster-config' }]);
    });

    it('reports every problem of a file, in line order', () => {
      const text = 'deploy:\n  replicas: many\nimage: x:1\nbuilder: b\ngitops: { repo: acme/cfg, mode: push }\n';

      const parsed = parseRepoConfig(text, { defaults });

      expect(problems(parsed).map((problem) => [problem.line, problem.path])).toEqual([
        [2, 'deploy.replicas'],
        [3, 'image'],
        [5, 'gitops.mode'],
      ]);
    });

    it('reports a top level that is not a mapping', () => {
      const parsed = parseRepoConfig('- builder: b\n', { defaults });

      expect(problems(parsed)).toEqual([{ path: '', line: 1, column: 1, message: 'expected a mapping of s2i-bot settings (builder, image, gitops, ...), got a list' }]);
    });
  });

  describe('parseRepoConfig: paths that would leave their directory', () => {
    it.each<[string, string, string]>([
      ['contextDir: ../other-repo', 'contextDir', 'contextDir: expected a directory relative to the repository root without "..", such as . or services/web, got "../other-repo"'],
      ['contextDir: src/../../x', 'contextDir', 'contextDir: expected a directory relative to the repository root without "..", such as . or services/web, got "src/../../x"'],
      ['contextDir: /etc', 'contextDir', 'contextDir: expected a directory relative to the repository root without "..", such as . or services/web, got "/etc"'],
      ['contextDir: "src\\\\..\\\\x"', 'contextDir', 'contextDir: expected a directory relative to the repository root without "..", such as . or services/web, got "src\\\\..\\\\x"'],
      ['contextDir: ""', 'contextDir', 'contextDir: expected a directory relative to the repository root without "..", such as . or services/web, got ""'],
      ['  path: ../{{name}}', 'gitops.path', 'gitops.path: expected a directory inside the config repo, without ".." segments, got "../{{name}}"'],
      ['  path: apps/../../etc', 'gitops.path', 'gitops.path: expected a directory inside the config repo, without ".." segments, got "apps/../../etc"'],
      ['  path: /apps/{{name}}', 'gitops.path', 'gitops.path: expected a directory relative to the root of the config repo, not an absolute path, got "/apps/{{name}}"'],
      ['  path: "{{name}}/{{namespace}}"', 'gitops.path', 'gitops.path: unknown placeholder {{namespace}}; only {{name}} and {{environment}} are replaced, got "{{name}}/{{namespace}}"'],
      ['  path: "apps/{{name}"', 'gitops.path', 'gitops.path: has a "{" or "}" outside a placeholder; write placeholders as {{name}} and {{environment}}, got "apps/{{name}"'],
      ['  path: ./', 'gitops.path', 'gitops.path: names the root of the config repo; expected a subdirectory such as apps/{{name}}/{{environment}}, got "./"'],
      ['  path: .github/workflows', 'gitops.path', 'gitops.path: expected a plain directory inside the config repo, but the path is inside .github/, which holds the config repo\'s own settings, got ".github/workflows"'],
      ['  path: apps/.git/{{name}}', 'gitops.path', 'gitops.path: expected a plain directory inside the config repo, but the path is inside .git, got "apps/.git/{{name}}"'],
    ])('refuses %s', (line, path, message) => {
      const text = line.startsWith(' ') ? minimalPlus(line) : `${MINIMAL}${line}\n`;

      const parsed = parseRepoConfig(text, { defaults });

      expect(problems(parsed)).toEqual([expect.objectContaining({ path, message, line: 5 })]);
    });
  });

  describe('parseRepoConfig: hostile YAML', () => {
    it.each<[string, string, ConfigProblem[]]>([
      [
        'a syntax error, with its line',
        'builder: b\nimage: [i\ngitops: { repo: acme/cfg }\n',
        [{ path: '', line: 3, column: 1, message: 'YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]' }],
      ],
      [
        'unquoted braces in a flow mapping, with a hint',
        'builder: b\nimage: i\ngitops: { repo: acme/cfg, path: apps/{{name}} }\n',
        [{ path: '', line: 3, column: 38, message: 'YAML syntax error: Unexpected flow-map-start at node end; quote values that contain {{ }}, e.g. path: "apps/{{name}}/{{environment}}"' }],
      ],
      [
        'a duplicate key',
        'builder: b\nimage: i\nbuilder: c\ngitops: { repo: acme/cfg }\n',
        [{ path: '', line: 3, column: 1, message: 'duplicate key "builder": a key may appear only once in a mapping' }],
      ],
      [
        'a duplicate nested key',
        `${MINIMAL}  repo: acme/other\n`,
        [{ path: '', line: 5, column: 3, message: 'duplicate key "repo": a key may appear only once in a mapping' }],
      ],
      [
        'a second document',
        `${MINIMAL}---\nbuilder: other\n`,
        [{ path: '', line: 5, column: 1, message: 'the file holds more than one YAML document (a second "---"); keep a single document' }],
      ],
      [
        'a !!js/function tag',
        `${MINIMAL}env: { X: !!js/function "function () { return process.exit(1) }" }\n`,
        [{ path: '', line: 5, column: 11, message: 'the YAML tag !!js/function is not allowed; write plain values without tags' }],
      ],
      [
        'a !!binary tag',
        `${MINIMAL}env: { X: !!binary aGVsbG8= }\n`,
        [{ path: '', line: 5, column: 11, message: 'the YAML tag !!binary is not allowed; write plain values without tags' }],
      ],
      [
        'a local tag',
        `${MINIMAL}env: !env { X: y }\n`,
        [{ path: '', line: 5, column: 6, message: 'the YAML tag !env is not allowed; write plain values without tags' }],
      ],
      [
        'an alias bomb',
        [
          'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
          'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
          'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
          'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
          'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
          '',
        ].join('\n'),
        [{ path: '', message: 'YAML aliases (*name) expand to too much data (more than 100 expansions); write the values out instead' }],
      ],
      [
        'an alias without its anchor',
        `${MINIMAL}branches: *nowhere\n`,
        [{ path: '', line: 5, column: 11, message: 'the alias *nowhere refers to no anchor &nowhere above it' }],
      ],
      [
        'a __proto__ key',
        `${MINIMAL}env:\n  __proto__: { polluted: "yes" }\n`,
        [{ path: '', line: 6, column: 3, message: 'the key "__proto__" is not allowed' }],
      ],
      [
        'a mapping as a key',
        `${MINIMAL}? { a: 1 }\n: x\n`,
        [{ path: '', line: 5, column: 3, message: 'a key must be plain text, not empty, a list or a mapping' }],
      ],
      [
        'lists nested thousands deep',
        `${MINIMAL}env: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
        [{ path: '', message: 'the file nests lists and mappings too deeply (more than 50 levels); settings need only a few' }],
      ],
      [
        'a file over 64 KiB',
        `${MINIMAL}# ${'x'.repeat(64 * 1024)}\n`,
        [{ path: '', message: 'the file is 65 KiB, larger than the 64 KiB limit; it holds settings only, so shorten it' }],
      ],
    ])('refuses %s', (_name, text, expected) => {
      const parsed = parseRepoConfig(text, { defaults });

      expect(problems(parsed)).toEqual(expected);
    });

    it('does not pollute Object.prototype', () => {
      parseRepoConfig(`${MINIMAL}__proto__: { polluted: "yes" }\n`, { defaults });

      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('parseRepoConfig: _extends', () => {
    const base = {
      builder: 'registry.example.com/s2i/nodejs:20',
      env: { TZ: 'UTC', LOG_LEVEL: 'info', RETRIES: 3 },
      deploy: { namespace: 'team', replicas: 2, resources: { limits: { memory: '256Mi' } } },
      gitops: { repo: 'acme/cluster-config', mode: 'pull-request' },
      branches: { main: { environment: 'production' }, develop: { environment: 'dev' } },
      _extends: 'acme/.github:base.yml',
    };

    it('merges the base under the file: mappings key by key, the file winning', () => {
      const text = [
        '_extends: .github',
        'image: registry.example.com/acme/hello',
        'env: { LOG_LEVEL: debug }',
        'deploy: { replicas: 1, resources: { limits: { cpu: 500m } } }',
        'branches:',
        '  trunk: { environment: production }',
        '',
      ].join('\n');

      const parsed = parseRepoConfig(text, { defaults, base });

      expect(config(parsed)).toEqual({
        builder: 'registry.example.com/s2i/nodejs:20',
        image: 'registry.example.com/acme/hello',
        contextDir: '.',
        env: { TZ: 'UTC', LOG_LEVEL: 'debug', RETRIES: '3' },
        secretEnv: {},
        incremental: false,
        branches: { main: { environment: 'production' }, develop: { environment: 'dev' }, trunk: { environment: 'production' } },
        environments: [],
        deploy: {
          name: 'hello',
          namespace: 'team',
          replicas: 1,
          port: 8080,
          service: { type: 'ClusterIP', port: 8080 },
          resources: { limits: { memory: '256Mi', cpu: '500m' } },
        },
        gitops: { repo: 'acme/cluster-config', path: 'apps/{{name}}/{{environment}}', mode: 'pull-request' },
      });
    });

    it('lets the file replace a list or scalar of the base, and removes _extends', () => {
      const parsed = parseRepoConfig('_extends: .github\nimage: acme/hello\ngitops: { mode: commit }\n', { defaults, base: { ...base, builder: ['not', 'a', 'string'] } });

      expect(problems(parsed)).toEqual([
        { path: 'builder', line: 1, column: 1, message: 'builder: expected an S2I builder image reference such as registry.example.com/s2i/nodejs:20, got a list (set by the _extends base)' },
      ]);
    });

    it('does not keep _extends in the config', () => {
      const parsed = parseRepoConfig('_extends: .github\nimage: acme/hello\n', { defaults, base });

      expect(config(parsed)).not.toHaveProperty('_extends');
    });

    it('shows a problem of the base at the _extends line', () => {
      const parsed = parseRepoConfig('image: acme/hello\n_extends: .github\n', { defaults, base: { ...base, deploy: { replics: 2 } } });

      expect(problems(parsed)).toEqual([
        { path: 'deploy.replics', line: 2, column: 1, message: 'deploy.replics: unknown key (did you mean "replicas"?) (set by the _extends base)' },
      ]);
    });

    it('refuses a base that is not a mapping', () => {
      const parsed = parseRepoConfig('_extends: .github\nimage: acme/hello\n', { defaults, base: ['x'] });

      expect(problems(parsed)).toEqual([{ path: '_extends', line: 1, column: 11, message: '_extends: the inherited file is not a mapping of settings' }]);
    });

    it('reports an _extends value that is not a valid target', () => {
      const parsed = parseRepoConfig(`${MINIMAL}_extends: "acme/.github:../../secrets.yml"\n`, { defaults });

      expect(problems(parsed)).toEqual([
        { path: '_extends', line: 5, column: 11, message: '_extends: expected the repo to inherit settings from: repo, owner/repo or owner/repo:path/to/file.yml, got "acme/.github:../../secrets.yml"' },
      ]);
    });

    it('does not let a base key "__proto__" become a prototype', () => {
      const hostile = JSON.parse('{"__proto__": {"builder": "evil"}, "gitops": {"repo": "acme/cfg"}}') as unknown;

      const parsed = parseRepoConfig('builder: b\nimage: acme/hello\n', { defaults, base: hostile });

      expect(problems(parsed)).toEqual([{ path: '__proto__', line: 1, column: 1, message: '__proto__: unknown key (expected one of: _extends, builder, image, contextDir, env, secretEnv, incremental, runtimeImage, runtimeArtifacts, branches, environments, deploy, gitops) (set by the _extends base)' }]);
    });
  });

  describe('readExtends', () => {
    it.each<[string, string | undefined]>([
      ['_extends: .github\nimage: x\n', '.github'],
      ['_extends: acme/settings:s2i/base.yml\n', 'acme/settings:s2i/base.yml'],
      ['image: x\n', undefined],
      ['_extends: [a]\n', undefined],
      ['_extends: [unclosed\n', undefined],
      ['- a\n', undefined],
      ['', undefined],
    ])('reads %j as %j', (text, expected) => {
      const value = readExtends(text);

      expect(value).toBe(expected);
    });
  });

  describe('environmentForBranch', () => {
    const branches: RepoConfig['branches'] = {
      'release/*': { environment: 'staging' },
      'feature/**': { environment: 'preview' },
      main: { environment: 'production' },
      '*': { environment: 'scratch' },
      'release/1.x': { environment: 'legacy' },
    };
    const withBranches = { ...MINIMAL_CONFIG, branches };

    it.each<[string, { environment: string; pattern: string } | undefined]>([
      ['main', { environment: 'production', pattern: 'main' }],
      ['release/1.x', { environment: 'legacy', pattern: 'release/1.x' }],
      ['release/2.0', { environment: 'staging', pattern: 'release/*' }],
      ['release/a/b', undefined],
      ['feature/a/b', { environment: 'preview', pattern: 'feature/**' }],
      ['develop', { environment: 'scratch', pattern: '*' }],
      ['hotfix/x', undefined],
    ])('maps %s', (branch, expected) => {
      const match = environmentForBranch(withBranches, branch);

      expect(match).toEqual(expected);
    });

    it('takes the first matching glob in file order', () => {
      const parsed = config(parseRepoConfig(minimalPlus('branches:', '  "rel*/*": { environment: first }', '  "release/*": { environment: second }'), { defaults }));

      const match = environmentForBranch(parsed, 'release/1');

      expect(match).toEqual({ environment: 'first', pattern: 'rel*/*' });
    });

    it('maps the default branch of a file without branches', () => {
      const parsed = config(parseRepoConfig(MINIMAL, { defaults }));

      const matches = [environmentForBranch(parsed, 'main'), environmentForBranch(parsed, 'dev')];

      expect(matches).toEqual([{ environment: 'production', pattern: 'main' }, undefined]);
    });
  });

  describe('renderGitopsPath', () => {
    it.each<[string, string, string]>([
      ['apps/{{name}}/{{environment}}', 'production', 'apps/hello/production'],
      ['clusters/{{ environment }}/{{ name }}', 'staging', 'clusters/staging/hello'],
      ['./apps//{{name}}/{{environment}}/', 'dev', 'apps/hello/dev'],
      ['static/dir', 'dev', 'static/dir'],
    ])('renders %s for %s', (path, environment, expected) => {
      const withPath = { ...MINIMAL_CONFIG, gitops: { ...MINIMAL_CONFIG.gitops, path } };

      const rendered = renderGitopsPath(withPath, environment);

      expect(rendered).toBe(expected);
    });

    it.each([['../prod'], ['Prod'], ['a/b'], [''], ['x'.repeat(64)]])('refuses the environment name %j', (environment) => {
      const render = () => renderGitopsPath(MINIMAL_CONFIG, environment);

      expect(render).toThrow(ConfigError);
      expect(render).toThrow(`"${environment}" is not a valid environment name`);
    });

    it.each([['../{{name}}'], ['/abs/{{name}}'], ['{{repo}}'], ['{{name}}/../..']])('refuses the path %j of a config not from the parser', (path) => {
      const withPath = { ...MINIMAL_CONFIG, gitops: { ...MINIMAL_CONFIG.gitops, path } };

      const render = () => renderGitopsPath(withPath, 'production');

      expect(render).toThrow(ConfigError);
    });

    it('names the settings file it reads', () => {
      expect(CONFIG_PATH).toBe('.github/s2i.yml');
    });
  });
});
