import { describe, expect, it } from '@jest/globals';
import { MAX_YAML_BYTES, readYaml } from '../../src/config/read-yaml.js';

const TOO_DEEP = 'the file nests lists and mappings too deeply (more than 50 levels); settings need only a few';

describe('config/read-yaml', () => {
  it('reads a mapping, with the document kept for locating problems', () => {
    const read = readYaml('a: 1\nb: [x, y]\n');

    expect(read.ok && read.file.value).toEqual({ a: 1, b: ['x', 'y'] });
    expect(read.ok && read.file.lineCounter.linePos(5)).toEqual({ line: 2, col: 1 });
  });

  it('reads an empty file as null', () => {
    const read = readYaml('');

    expect(read.ok && read.file.value).toBeNull();
  });

  it('accepts a file of exactly the size limit', () => {
    const text = `a: 1\n#${'x'.repeat(MAX_YAML_BYTES - 7)}\n`;

    const read = readYaml(text);

    expect(Buffer.byteLength(text)).toBe(MAX_YAML_BYTES);
    expect(read.ok).toBe(true);
  });

  it('counts the size in bytes, not characters', () => {
    const text = `a: "${'é'.repeat(MAX_YAML_BYTES / 2)}"\n`;

    const read = readYaml(text);

    expect(read).toEqual({ ok: false, problems: [{ path: '', message: 'the file is 65 KiB, larger than the 64 KiB limit; it holds settings only, so shorten it' }] });
  });

  it.each<[string, string]>([
    ['flow lists', `a: ${'['.repeat(30000)}${']'.repeat(30000)}\n`],
    ['flow mappings', `a: ${'{b: '.repeat(51)}1${'}'.repeat(51)}\n`],
    ['compact block lists', `${'- '.repeat(30000)}x\n`],
    ['explicit keys', `${'? '.repeat(30000)}x\n`],
    ['indented mappings', `${Array.from({ length: 60 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} x\n`],
  ])('refuses %s nested too deeply, before parsing', (_name, text) => {
    const read = readYaml(text);

    expect(read).toEqual({ ok: false, problems: [{ path: '', message: TOO_DEEP }] });
  });

  it.each<[string, string]>([
    ['brackets inside quoted strings', `a: "${'['.repeat(1000)}"\nb: '${'{'.repeat(1000)}'\n`],
    ['dashes inside plain text', `a: x ${'- '.repeat(1000)}x\n`],
    ['brackets in comments', `# ${'['.repeat(1000)}\na: 1\n`],
    ['brackets in a block scalar', `a: |\n  ${'[- '.repeat(1000)}\n`],
    ['many sibling lists', `${Array.from({ length: 500 }, (_, i) => `k${i}: [[1], {a: [2]}]`).join('\n')}\n`],
    ['a long sequence of items', `${Array.from({ length: 2000 }, () => '- { a: [1, 2] }').join('\n')}\n`],
  ])('accepts %s', (_name, text) => {
    const read = readYaml(text);

    expect(read.ok).toBe(true);
  });
});
