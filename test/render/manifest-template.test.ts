import { describe, expect, it } from '@jest/globals';
import { compileManifestTemplate } from '../../src/render/manifest-template.js';

describe('render/manifest-template', () => {
  it('inserts values through json as YAML scalars and collections', () => {
    const template = compileManifestTemplate('name: {{json name}}\nlabels: {{json labels}}\n{{#each env}}\n- {{json (lookup this "name")}}\n{{/each}}\n');

    const text = template({ name: 'a"b\nc', labels: { x: 'y' }, env: [{ name: 'A' }] });

    expect(text).toBe('name: "a\\"b\\nc"\nlabels: {"x":"y"}\n- "A"\n');
  });

  it.each([
    ['{{name}}', 'line 1: {{name}} inserts text without the json helper; write {{json name}} so the value stays one YAML scalar'],
    ['a\n{{{name}}}', 'line 2: {{name}} inserts text without the json helper'],
    ['{{log "x"}}', 'line 1: {{log "x"}} inserts text without the json helper'],
    ['{{json a b}}', 'line 1: {{json a b}} must give json exactly one value'],
    ['{{json}}', 'line 1: {{json}} must give json exactly one value'],
    ['{{json (concat a b)}}', 'line 1: the helper (concat …) is not allowed; only (lookup …) may be used inside json'],
    ['{{> header}}', 'line 1: partials are not allowed in deploy templates'],
    ['{{#custom x}}y{{/custom}}', 'line 1: {{#custom}} is not allowed; use #if, #unless, #each or #with'],
    ['{{#if x}}\n{{name}}\n{{/if}}', 'line 2: {{name}} inserts text without the json helper'],
  ])('refuses %j before compiling', (source, problem) => {
    const compile = () => compileManifestTemplate(source);

    expect(compile).toThrow(problem);
  });

  it.each([
    ['a missing value', '{{json nope}}', {}, 'line 1: {{json nope}} names a value the view does not have'],
    ['a prototype property', '{{json constructor}}', {}, 'line 1: {{json constructor}} names a value the view does not have'],
    ['a value under a missing parent', 'x: {{json probe.path}}', { probe: {} }, 'line 1: {{json probe.path}} names a value the view does not have'],
    ['a non-finite number', '{{json replicas}}', { replicas: Number.NaN }, 'line 1: {{json replicas}} is NaN, not a finite number'],
  ])('refuses %s when rendering', (_case, source, view, problem) => {
    const template = compileManifestTemplate(source);

    const render = () => template(view);

    expect(render).toThrow(problem);
  });

  it('renders a value that contains template syntax as text', () => {
    const template = compileManifestTemplate('v: {{json value}}');

    const text = template({ value: '{{json secret}} {{> p}}' });

    expect(text).toBe('v: "{{json secret}} {{> p}}"');
  });
});
