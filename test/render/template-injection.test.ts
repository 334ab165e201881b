import { describe, expect, it } from '@jest/globals';
import { parseAllDocuments, parse } from 'yaml';
import { parseRepoConfig } from '../../src/config/load-repo-config.js';
import type { RepoConfig } from '../../src/config/schema.js';
import { compileManifestTemplate } from '../../src/render/manifest-template.js';
import { renderInputFor } from '../../src/render/render-input.js';
import { renderManifests, type RenderedManifests } from '../../src/render/render-manifests.js';
import { IMAGE, SHA } from './render-fixtures.js';

/** Values a config could carry to add a document, a field or a kind to the manifests. */
const HOSTILE: Record<string, string> = {
  YAML_FIELD: 'x\nkind: ClusterRole',
  YAML_INDENTED: 'x\n          privileged: true\n          hostNetwork: true',
  DOCUMENT: 'x\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding',
  DOCUMENT_END: '...\n--- !!js/function',
  EACH: '{{#each env}}{{json this}}{{/each}}',
  TRIPLE: '{{{name}}}',
  LOOKUP: '{{lookup this "constructor"}}',
  PARTIAL: '{{> deployment}}',
  JSON_HELPER: '{{json @root}}',
  CONTROL: 'a\u0001\u0007\u001b[31mred\u001b[0m\rb\u0085\u2028\u2029',
  BIDI: 'safe\u202egnp.exe\u2066\u2069\u200f',
  LONG: 'L'.repeat(60 * 1024 - 2048),
  YAML_ALIAS: '*anchor &anchor !!binary |',
  QUOTES: `"'\\"\\\\`,
};

function configText(env: Record<string, string>, extra = ''): string {
  return [
    'builder: registry.example.com/s2i/nodejs:20',
    'image: registry.example.com/acme/hello',
    // JSON is YAML: each value is written as one double-quoted scalar with its escapes.
    `env: ${JSON.stringify(env)}`,
    'deploy: { name: hello, namespace: demo }',
    'gitops: { repo: acme/cluster-config }',
    extra,
  ].join('\n');
}

function configOf(text: string): RepoConfig {
  const parsed = parseRepoConfig(text, { defaults: { repoName: 'hello', defaultBranch: 'main' } });
  if (!parsed.ok) throw new Error(`the config was refused: ${JSON.stringify(parsed.problems)}`);
  return parsed.config;
}

function render(config: RepoConfig): RenderedManifests {
  return renderManifests(renderInputFor(config, { environment: 'production', path: 'apps/hello/production', image: IMAGE, repo: 'acme/hello', sha: SHA, sourceLocation: 'https://github.com/acme/hello' }));
}

/** The shape of an object: every key path, with the values left out. */
function shape(value: unknown, path = ''): string[] {
  if (Array.isArray(value)) return [`${path}[]`, ...value.flatMap((item, index) => shape(item, `${path}[${index}]`))];
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, child]) => [`${path}.${key}`, ...shape(child, `${path}.${key}`)]);
  return [];
}

describe('render: template injection through .github/s2i.yml values', () => {
  const plain = render(configOf(configText(Object.fromEntries(Object.keys(HOSTILE).map((name) => [name, 'plain'])))));

  it.each(Object.keys(HOSTILE))('keeps %s one string: the same documents, kinds and fields as a plain value, the value read back exactly', (name) => {
    const env = { ...Object.fromEntries(Object.keys(HOSTILE).map((key) => [key, 'plain'])), [name]: HOSTILE[name] };

    const rendered = render(configOf(configText(env)));

    const documents = rendered.files.map((file) => parseAllDocuments(file.content));
    expect(documents.map((list) => list.length)).toEqual([1, 1, 1]);
    const objects = rendered.files.map((file) => parse(file.content) as Record<string, unknown>);
    expect(objects.map((object) => object.kind)).toEqual(['Deployment', 'Kustomization', 'Service']);
    expect(objects.map((object) => shape(object))).toEqual(plain.files.map((file) => shape(parse(file.content))));
    const container = (objects[0] as { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value: string }> }> } } } }).spec.template.spec.containers[0];
    expect(container.env.find((variable) => variable.name === name)?.value).toBe(HOSTILE[name]);
  });

  it('writes every value on the line of its key, so none can start a line of YAML', () => {
    const rendered = render(configOf(configText(HOSTILE)));

    const deployment = rendered.files[0].content;
    expect(deployment.split('\n').filter((line) => line.trimStart().startsWith('value: '))).toHaveLength(Object.keys(HOSTILE).length);
    expect(deployment).not.toMatch(/^\s*(kind: Cluster|privileged:|hostNetwork:|---)/m);
  });

  it('keeps a hostile readiness probe path as the path', () => {
    const path = '/x\n{{#each env}}{{/each}}\n---\nkind: ClusterRole';

    const rendered = render(configOf(configText({}).replace('deploy: { name: hello, namespace: demo }', `deploy: { name: hello, namespace: demo, readinessProbe: { path: ${JSON.stringify(path)} } }`)));

    const deployment = parse(rendered.files[0].content) as { spec: { template: { spec: { containers: Array<{ readinessProbe: { httpGet: { path: string } } }> } } } };
    expect(deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe(path);
    expect(rendered.objects.map((object) => object.kind)).toEqual(['Deployment', 'Kustomization', 'Service']);
  });

  it.each<[string, string, RegExp]>([
    ['a namespace that would add a field', configText({}).replace('namespace: demo', 'namespace: "demo\\nkind: ClusterRole"'), /^deploy\.namespace: expected a namespace name/],
    ['a name with template syntax', configText({}).replace('name: hello', 'name: "{{name}}"'), /^deploy\.name: expected a DNS-1123 label/],
    ['an env value with a NUL, which no process environment can hold', configText({ NUL: 'before\u0000after' }), /^env\.NUL: expected a value without NUL characters, which no process environment can hold/],
    ['an env name with a newline', configText({ 'A\nkind': 'x' }), /^env: invalid key "A\nkind", expected an environment variable name/],
  ])('refuses %s in the config, with a clear message', (_name, text, message) => {
    const parsed = parseRepoConfig(text, { defaults: { repoName: 'hello', defaultBranch: 'main' } });

    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((problem) => problem.message)).toEqual([expect.stringMatching(message)]);
  });
});

describe('render/manifest-template: what a template can reach', () => {
  it.each<[string, string]>([
    ['a prototype property through lookup', '{{json (lookup this "constructor")}}'],
    ['__proto__', '{{json __proto__}}'],
    ['a prototype under @root', '{{json @root.constructor}}'],
    ['the constructor of a value', '{{json name.constructor}}'],
  ])('refuses %s as a value the view does not have', (_name, source) => {
    const template = compileManifestTemplate(source);

    expect(() => template({ name: 'hello' })).toThrow('names a value the view does not have');
  });

  it('cannot reach the process: a global is not in the view, and strict mode throws', () => {
    const template = compileManifestTemplate('{{json process.env}}');

    expect(() => template({ name: 'hello' })).toThrow();
  });

  it('cannot enter a prototype with #with: the block sees nothing and renders nothing', () => {
    const template = compileManifestTemplate('{{#with constructor}}{{json name}}{{/with}}{{#with __proto__}}{{json this}}{{/with}}');

    expect(template({ name: 'hello' })).toBe('');
  });

  it.each<[string, string]>([
    ['the log helper', '{{log "x"}}'],
    ['a helper that would read files', '{{json (readFile "/etc/passwd")}}'],
    ['a helper that would read the environment', '{{#env "HOME"}}{{/env}}'],
    ['blockHelperMissing', '{{#blockHelperMissing x}}{{/blockHelperMissing}}'],
    ['a decorator', '{{* decorator}}'],
    ['a partial block', '{{#> layout}}x{{/layout}}'],
  ])('refuses %s before compiling: only json, lookup, if, unless, each and with exist', (_name, source) => {
    expect(() => compileManifestTemplate(source)).toThrow(/not allowed|inserts text without the json helper|decorators|partial/);
  });

  it('renders in strict mode: a missing value is an error, never an empty string', () => {
    const template = compileManifestTemplate('a: {{json missing}}\n');

    expect(() => template({})).toThrow('line 1: {{json missing}} names a value the view does not have');
  });
});
