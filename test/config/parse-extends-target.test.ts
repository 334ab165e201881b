import { describe, expect, it } from '@jest/globals';
import { ExtendsTargetError, parseExtendsTarget, type ExtendsTarget } from '../../src/config/parse-extends-target.js';

describe('config/parse-extends-target', () => {
  it.each<[string, ExtendsTarget]>([
    ['.github', { owner: 'acme', repo: '.github', path: '.github/s2i.yml' }],
    ['other-repo', { owner: 'acme', repo: 'other-repo', path: '.github/s2i.yml' }],
    ['platform/defaults', { owner: 'platform', repo: 'defaults', path: '.github/s2i.yml' }],
    ['platform/defaults:s2i/node.yml', { owner: 'platform', repo: 'defaults', path: 's2i/node.yml' }],
    ['defaults:base.yaml', { owner: 'acme', repo: 'defaults', path: 'base.yaml' }],
    ['  defaults  ', { owner: 'acme', repo: 'defaults', path: '.github/s2i.yml' }],
  ])('reads %j', (value, expected) => {
    const target = parseExtendsTarget(value, 'acme');

    expect(target).toEqual(expected);
  });

  it.each([
    [''],
    ['a/b/c'],
    ['owner/..'],
    ['..'],
    ['repo:../secrets.yml'],
    ['repo:a/../../b.yml'],
    ['repo:/etc/passwd.yml'],
    ['repo:file.json'],
    ['repo:dir//file.yml'],
    ['-owner/repo'],
    ['owner/re po'],
  ])('refuses %j', (value) => {
    const parse = () => parseExtendsTarget(value, 'acme');

    expect(parse).toThrow(ExtendsTargetError);
    expect(parse).toThrow(`_extends: "${value}" is not a valid target; expected repo, owner/repo or owner/repo:path/to/file.yml`);
  });
});
