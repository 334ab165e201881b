import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { canonicalOrder, toCanonicalYaml, yamlJson, yamlString } from '../../src/render/canonical-yaml.js';

describe('render/canonical-yaml', () => {
  it.each([
    ['hello', 'hello'],
    ['/healthz', '/healthz'],
    ['app.kubernetes.io/name', 'app.kubernetes.io/name'],
    ['https://github.com/acme/hello', 'https://github.com/acme/hello'],
    ['yes', '"yes"'],
    ['On', '"On"'],
    ['n', '"n"'],
    ['NULL', '"NULL"'],
    ['~', '"~"'],
    ['', '""'],
    ['0755', '"0755"'],
    ['0o17', '"0o17"'],
    ['1_000', '"1_000"'],
    ['1:20', '"1:20"'],
    ['1e3', '"1e3"'],
    ['.inf', '".inf"'],
    ['100m', '"100m"'],
    ['foo:', '"foo:"'],
    ['a b', '"a b"'],
    ['-x', '"-x"'],
    ['#x', '"#x"'],
    ['*x', '"*x"'],
    ['x\nkind: ClusterRole', '"x\\nkind: ClusterRole"'],
    ['\u0085\u2028\u2029\u007f\ufeff', '"\\u0085\\u2028\\u2029\\u007f\\ufeff"'],
  ])('writes %j as %s, which YAML 1.1 and 1.2 both read back as the same string', (value, written) => {
    const text = `v: ${yamlString(value)}\n`;

    const [yaml11, yaml12] = [parse(text, { version: '1.1' }), parse(text, { version: '1.2' })];

    expect(yamlString(value)).toBe(written);
    expect(yaml11).toEqual({ v: value });
    expect(yaml12).toEqual({ v: value });
  });

  it('writes collections as JSON flow YAML that reads back as the same value', () => {
    const value = { list: ['a', 1, true, null], nested: { 'x\ny': '\u0085' } };

    const text = `v: ${yamlJson(value)}\n`;

    expect(text).not.toMatch(/[\u0085\n](?!$)/);
    expect(parse(text)).toEqual({ v: value });
  });

  it('refuses a value JSON cannot write', () => {
    const value = undefined;

    const write = () => yamlJson(value);

    expect(write).toThrow('undefined has no YAML form');
  });

  it('orders apiVersion, kind, metadata, spec, then name, namespace, image, then the rest by code unit', () => {
    const value = { zeta: 1, spec: { image: 'i', env: [], name: 'n' }, Zulu: 2, metadata: { labels: {}, namespace: 'd', name: 'x' }, kind: 'K', apiVersion: 'v1' };

    const ordered = canonicalOrder(value) as Record<string, Record<string, unknown>>;

    expect(Object.keys(ordered)).toEqual(['apiVersion', 'kind', 'metadata', 'spec', 'Zulu', 'zeta']);
    expect(Object.keys(ordered.metadata)).toEqual(['name', 'namespace', 'labels']);
    expect(Object.keys(ordered.spec)).toEqual(['name', 'image', 'env']);
  });

  it('keeps the order of sequences and drops null fields', () => {
    const value = { env: [{ value: 'b', name: 'B' }, { name: 'A', value: null }], nodePort: null };

    const ordered = canonicalOrder(value);

    expect(ordered).toEqual({ env: [{ name: 'B', value: 'b' }, { name: 'A' }] });
    expect(JSON.stringify(ordered)).toBe('{"env":[{"name":"B","value":"b"},{"name":"A"}]}');
  });

  it('writes a header, block style with 2-space indent, no anchors and no folded lines', () => {
    const labels = { app: 'hello' };
    const value = { kind: 'K', metadata: { labels }, spec: { labels, long: 'word '.repeat(50_000) } };

    const text = toCanonicalYaml(value, ['first line', 'second line']);

    expect(text.split('\n').slice(0, 6)).toEqual(['# first line', '# second line', 'kind: K', 'metadata:', '  labels:', '    app: hello']);
    expect(text).not.toMatch(/[&*]\w/);
    expect(text.split('\n')).toHaveLength(11);
    expect(parse(text)).toEqual(value);
  });
});
