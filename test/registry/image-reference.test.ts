import { DOCKER_HUB, ImageReferenceError, parseImageReference, parsePullReference, type ImageReference } from '../../src/registry/image-reference.js';

describe('registry/image-reference', () => {
  it.each<[string, ImageReference]>([
    ['repo', { registry: 'docker.io', repository: 'repo', tag: undefined }],
    ['repo:tag', { registry: 'docker.io', repository: 'repo', tag: 'tag' }],
    ['library/nginx:1.25-alpine', { registry: 'docker.io', repository: 'library/nginx', tag: '1.25-alpine' }],
    ['acme/hello-world', { registry: 'docker.io', repository: 'acme/hello-world', tag: undefined }],
    ['my-registry/app', { registry: 'docker.io', repository: 'my-registry/app', tag: undefined }],
    ['host:5000/a/b:tag', { registry: 'host:5000', repository: 'host:5000/a/b', tag: 'tag' }],
    ['host:5000/a/b', { registry: 'host:5000', repository: 'host:5000/a/b', tag: undefined }],
    ['127.0.0.1:5000/x:v1', { registry: '127.0.0.1:5000', repository: '127.0.0.1:5000/x', tag: 'v1' }],
    ['localhost/x', { registry: 'localhost', repository: 'localhost/x', tag: undefined }],
    ['localhost:5000/team/x:latest', { registry: 'localhost:5000', repository: 'localhost:5000/team/x', tag: 'latest' }],
    ['ghcr.io/acme/app:v1.2.3', { registry: 'ghcr.io', repository: 'ghcr.io/acme/app', tag: 'v1.2.3' }],
    ['quay.io/a__b/c.d-e:_x', { registry: 'quay.io', repository: 'quay.io/a__b/c.d-e', tag: '_x' }],
    ['localhost', { registry: 'docker.io', repository: 'localhost', tag: undefined }],
    ['  padded:1  ', { registry: 'docker.io', repository: 'padded', tag: '1' }],
    [`repo:${'t'.repeat(128)}`, { registry: 'docker.io', repository: 'repo', tag: 't'.repeat(128) }],
  ])('parses %j', (value, expected) => {
    const parsed = parseImageReference(value);

    expect(parsed).toEqual(expected);
  });

  it('names Docker Hub as docker.io', () => {
    expect(DOCKER_HUB).toBe('docker.io');
  });

  it.each([
    'repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'ghcr.io/acme/app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ])('refuses the digest reference %j', (value) => {
    const parse = () => parseImageReference(value);

    expect(parse).toThrow(ImageReferenceError);
    expect(parse).toThrow(`"${value}": give a repository and an optional tag, not a digest`);
  });

  it.each(['', 'Repo', 'acme/Hello', 'a//b', '-repo', 'repo-', 'repo..x', 'host:5000/', 'with space', 'ghcr.io/acme/App:v1', 'a/b/'])(
    'refuses the invalid repository %j',
    (value) => {
      const parse = () => parseImageReference(value);

      expect(parse).toThrow(ImageReferenceError);
      expect(parse).toThrow(`"${value}" is not a valid image repository`);
    },
  );

  it.each<[string, string]>([
    ['repo:', ''],
    ['repo:-bad', '-bad'],
    ['repo:.bad', '.bad'],
    ['repo:a+b', 'a+b'],
    [`repo:${'t'.repeat(129)}`, 't'.repeat(129)],
    ['host:5000/a/b:x y', 'x y'],
  ])('refuses the invalid tag in %j', (value, tag) => {
    const parse = () => parseImageReference(value);

    expect(parse).toThrow(ImageReferenceError);
    expect(parse).toThrow(`"${tag}" is not a valid image tag`);
  });

  it('gives errors named ImageReferenceError', () => {
    let caught: unknown;

    try {
      parseImageReference('UPPER');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(Error);
    expect((caught as Error).name).toBe('ImageReferenceError');
  });

  describe('parsePullReference', () => {
    it.each<[string, { registry: string; reference: string }]>([
      ['nodejs-builder', { registry: 'docker.io', reference: 'nodejs-builder:latest' }],
      ['quay.io/acme/builder:20', { registry: 'quay.io', reference: 'quay.io/acme/builder:20' }],
      ['127.0.0.1:5000/b@sha256:abababababababababababababababababababababababababababababababab', { registry: '127.0.0.1:5000', reference: '127.0.0.1:5000/b@sha256:abababababababababababababababababababababababababababababababab' }],
      ['ghcr.io/a/b:1@sha256:abababababababababababababababababababababababababababababababab', { registry: 'ghcr.io', reference: 'ghcr.io/a/b:1@sha256:abababababababababababababababababababababababababababababababab' }],
    ])('reads %j as a reference to pull', (value, expected) => {
      const parsed = parsePullReference(value);

      expect(parsed).toEqual(expected);
    });

    it.each(['repo@sha256:xyz', 'repo@', 'repo@sha256:' + 'a'.repeat(10), 'UPPER/case:1'])('refuses %j', (value) => {
      expect(() => parsePullReference(value)).toThrow(ImageReferenceError);
    });
  });
});
