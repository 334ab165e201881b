import { outputImageLabels, type ImageLabelInput } from '../../src/build/image-labels.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const BUILDER = 'quay.io/acme/nodejs-builder:20';

describe('build/image-labels', () => {
  it('labels the builder only when nothing else is known', () => {
    const labels = outputImageLabels({ builder: BUILDER, contextDir: '' });

    expect(labels).toEqual({ 'io.openshift.s2i.build.image': BUILDER });
  });

  it('traces a GitHub build back to its repository, commit and context dir', () => {
    const input: ImageLabelInput = {
      builder: BUILDER,
      sourceLocation: 'https://github.com/acme/hello',
      contextDir: 'services/api',
      commit: {
        sha: SHA,
        ref: 'refs/heads/main',
        author: 'Ada Lovelace <ada@example.com>',
        date: '2026-01-02T03:04:05Z',
        message: 'Add the API\n\nLonger explanation of the change.',
      },
    };

    const labels = outputImageLabels(input);

    expect(labels).toEqual({
      'io.openshift.s2i.build.image': BUILDER,
      'io.openshift.s2i.build.source-location': 'https://github.com/acme/hello',
      'io.openshift.s2i.build.source-context-dir': 'services/api',
      'io.openshift.s2i.build.commit.id': SHA,
      'io.openshift.s2i.build.commit.ref': 'refs/heads/main',
      'io.openshift.s2i.build.commit.author': 'Ada Lovelace <ada@example.com>',
      'io.openshift.s2i.build.commit.date': '2026-01-02T03:04:05Z',
      'io.openshift.s2i.build.commit.message': 'Add the API',
      'org.opencontainers.image.revision': SHA,
      'org.opencontainers.image.source': 'https://github.com/acme/hello',
    });
  });

  it('gives a local path as source location but not as OCI source', () => {
    const labels = outputImageLabels({ builder: BUILDER, sourceLocation: '/home/ada/hello', contextDir: '.' });

    expect(labels['io.openshift.s2i.build.source-location']).toBe('/home/ada/hello');
    expect(labels).not.toHaveProperty('org.opencontainers.image.source');
    expect(labels).not.toHaveProperty('io.openshift.s2i.build.source-context-dir');
  });

  it('leaves out commit fields that are missing or blank', () => {
    const labels = outputImageLabels({ builder: BUILDER, contextDir: '', commit: { sha: SHA, ref: '  ', message: '' } });

    expect(Object.keys(labels).sort()).toEqual([
      'io.openshift.s2i.build.commit.id',
      'io.openshift.s2i.build.image',
      'org.opencontainers.image.revision',
    ]);
  });

  it('turns control characters into spaces so every value is one line', () => {
    const input: ImageLabelInput = {
      builder: BUILDER,
      contextDir: '',
      commit: { sha: SHA, author: 'Mallory\r\nX-Injected: yes', message: '\tfix:\u0007 the\u001b[31m bug\u007f  ' },
    };

    const labels = outputImageLabels(input);

    expect(labels['io.openshift.s2i.build.commit.author']).toBe('Mallory X-Injected: yes');
    expect(labels['io.openshift.s2i.build.commit.message']).toBe('fix:  the [31m bug');
  });

  it('bounds values to 256 characters with an ellipsis', () => {
    const message = 'x'.repeat(1000);

    const labels = outputImageLabels({ builder: BUILDER, contextDir: '', commit: { sha: SHA, message } });

    const value = labels['io.openshift.s2i.build.commit.message'];
    expect(value).toHaveLength(256);
    expect(value).toBe(`${'x'.repeat(255)}…`);
  });

  it('keeps a value of exactly 256 characters whole', () => {
    const ref = 'r'.repeat(256);

    const labels = outputImageLabels({ builder: BUILDER, contextDir: '', commit: { sha: SHA, ref } });

    expect(labels['io.openshift.s2i.build.commit.ref']).toBe(ref);
  });
});
