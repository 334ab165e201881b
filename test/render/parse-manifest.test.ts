import { describe, expect, it } from '@jest/globals';
import { parseManifest } from '../../src/render/parse-manifest.js';

describe('render/parse-manifest', () => {
  it('reads the one mapping of a file', () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata: {"name": "hello"}\n';

    const parsed = parseManifest(text, 'service.yaml');

    expect(parsed).toEqual({ object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello' } }, problems: [] });
  });

  it.each([
    ['nothing', '# only a comment\n', 'f.yaml: the template renders no YAML document; it must render exactly one object'],
    ['two documents', 'a: 1\n---\nb: 2\n', 'f.yaml: the template renders 2 YAML documents; it must render exactly one object per file'],
    ['a repeated key', 'kind: Service\nkind: ClusterRole\n', 'f.yaml: Map keys must be unique at line 2, column 1'],
    ['an anchor and an alias', 'a: &x {b: 1}\nc: *x\n', 'f.yaml: line 1: anchors (&x) are not allowed'],
    ['a standard tag', 'a: !!binary aGVsbG8=\n', 'f.yaml: line 1: explicit YAML tags (tag:yaml.org,2002:binary) are not allowed'],
    ['a custom tag', 'a: !include /etc/passwd\n', 'f.yaml: line 1: explicit YAML tags (!include) are not allowed'],
    ['a list', '- a\n- b\n', 'f.yaml: the document must be a mapping with apiVersion, kind and metadata'],
    ['broken YAML', 'a: "open\n', 'f.yaml: Missing closing "quote'],
  ])('refuses %s', (_case, text, problem) => {
    const parsed = parseManifest(text, 'f.yaml');

    expect(parsed.object).toBeUndefined();
    expect(parsed.problems.join('\n')).toContain(problem);
  });
});
