import { BuildError } from '../../src/build/build-error.js';
import { LABELS, readBuilderContract } from '../../src/build/builder-image.js';
import type { ImageInfo } from '../../src/docker/container-engine.js';

const BUILDER = 'quay.io/acme/nodejs-builder:20';

function image(overrides: Partial<ImageInfo> = {}): ImageInfo {
  return {
    id: 'sha256:1111',
    user: '1001',
    entrypoint: null,
    cmd: ['/bin/sh'],
    env: ['PATH=/usr/local/bin:/usr/bin'],
    labels: {},
    workingDir: '/opt/app-root/src',
    sizeBytes: 1000,
    repoDigests: [],
    ...overrides,
  };
}

function contractError(info: ImageInfo): BuildError {
  try {
    readBuilderContract(BUILDER, info);
  } catch (error) {
    expect(error).toBeInstanceOf(BuildError);
    return error as BuildError;
  }
  throw new Error('readBuilderContract accepted the image');
}

describe('build/builder-image', () => {
  it('names the labels of the s2i builder contract', () => {
    expect(LABELS).toEqual({
      scriptsUrl: 'io.openshift.s2i.scripts-url',
      destination: 'io.openshift.s2i.destination',
      assembleUser: 'io.openshift.s2i.assemble-user',
    });
  });

  it('reads the scripts directory, destination and users of a typical builder', () => {
    const info = image({
      labels: { [LABELS.scriptsUrl]: 'image:///usr/libexec/s2i', [LABELS.destination]: '/tmp' },
      user: '1001',
    });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract).toEqual({
      imageScriptsDir: '/usr/libexec/s2i',
      scripts: { url: { kind: 'image', url: 'image:///usr/libexec/s2i', dir: '/usr/libexec/s2i' }, declaredBy: LABELS.scriptsUrl },
      destination: '/tmp',
      assembleUser: '1001',
      assembleUserFrom: 'USER',
      runUser: '1001',
    });
  });

  it('has no image scripts and /tmp as destination when the image declares nothing', () => {
    const contract = readBuilderContract(BUILDER, image({ user: '' }));

    expect(contract).toEqual({ imageScriptsDir: undefined, scripts: undefined, destination: '/tmp', assembleUser: '', assembleUserFrom: 'USER', runUser: '' });
  });

  it('falls back to the legacy STI_SCRIPTS_URL environment variable', () => {
    const info = image({ env: ['PATH=/bin', 'STI_SCRIPTS_URL=image:///usr/local/sti', 'HOME=/opt/app-root'] });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract.imageScriptsDir).toBe('/usr/local/sti');
  });

  it('prefers the label over STI_SCRIPTS_URL', () => {
    const info = image({ labels: { [LABELS.scriptsUrl]: 'image:///from/label' }, env: ['STI_SCRIPTS_URL=image:///from/env'] });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract.imageScriptsDir).toBe('/from/label');
  });

  it('uses STI_SCRIPTS_URL when the label is empty', () => {
    const info = image({ labels: { [LABELS.scriptsUrl]: '' }, env: ['STI_SCRIPTS_URL=image:///from/env'] });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract.imageScriptsDir).toBe('/from/env');
  });

  it('does not mistake a variable whose name merely starts with STI_SCRIPTS_URL', () => {
    const info = image({ env: ['STI_SCRIPTS_URL_OLD=image:///old'] });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract.imageScriptsDir).toBeUndefined();
  });

  it.each<[string, string]>([
    ['image:///usr/libexec/s2i/', '/usr/libexec/s2i'],
    ['image:///usr/libexec/s2i//', '/usr/libexec/s2i'],
    ['  image:///usr/libexec/s2i  ', '/usr/libexec/s2i'],
    ['image:///', '/'],
  ])('normalises the scripts URL %j to %j', (url, dir) => {
    const contract = readBuilderContract(BUILDER, image({ labels: { [LABELS.scriptsUrl]: url } }));

    expect(contract.imageScriptsDir).toBe(dir);
  });

  it.each<[string, string]>([
    ['ftp://example.com/s2i/bin', '"ftp://example.com/s2i/bin" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
    ['image://usr/libexec/s2i', '"image://usr/libexec/s2i" must name an absolute path inside the image, such as image:///usr/libexec/s2i'],
    ['/usr/libexec/s2i', '"/usr/libexec/s2i" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
    ['https://example.com/s2i?ref=main', '"https://example.com/s2i?ref=main" has a query or fragment; the script names are appended to its path'],
  ])('refuses the scripts URL %j with an error naming the label and the builder', (url, why) => {
    const error = contractError(image({ labels: { [LABELS.scriptsUrl]: url } }));

    expect(error.step).toBe('builder');
    expect(error.reason).toBe(`builder image ${BUILDER} declares io.openshift.s2i.scripts-url="${url}", which is not a usable scripts URL: ${why}`);
    expect(error.hint).toContain('io.openshift.s2i.scripts-url');
  });

  it('refuses an unsupported STI_SCRIPTS_URL too, naming the variable', () => {
    const error = contractError(image({ env: ['STI_SCRIPTS_URL=gopher://example.com/scripts'] }));

    expect(error.reason).toContain('declares STI_SCRIPTS_URL="gopher://example.com/scripts"');
  });

  it.each<[string, unknown]>([
    ['https://example.com/s2i/bin/', { kind: 'http', url: 'https://example.com/s2i/bin/', base: 'https://example.com/s2i/bin' }],
    ['file:///usr/libexec/s2i', { kind: 'file', url: 'file:///usr/libexec/s2i', path: '/usr/libexec/s2i', relative: false }],
    ['IMAGE:///x', { kind: 'image', url: 'IMAGE:///x', dir: '/x' }],
  ])('accepts the scripts URL %j, as s2i does, without an image scripts directory unless it is image://', (url, parsed) => {
    const contract = readBuilderContract(BUILDER, image({ labels: { [LABELS.scriptsUrl]: url } }));

    expect(contract.scripts).toEqual({ url: parsed, declaredBy: LABELS.scriptsUrl });
    expect(contract.imageScriptsDir).toBe(url.startsWith('IMAGE') ? '/x' : undefined);
  });

  it('names STI_SCRIPTS_URL as the declaring variable when the label is absent', () => {
    const contract = readBuilderContract(BUILDER, image({ env: ['STI_SCRIPTS_URL=https://example.com/sti'] }));

    expect(contract.scripts?.declaredBy).toBe('STI_SCRIPTS_URL');
  });

  it.each<[string, string]>([
    ['/opt/app-root', '/opt/app-root'],
    ['/opt/app-root/', '/opt/app-root'],
    ['/opt/app-root///', '/opt/app-root'],
    ['  /srv  ', '/srv'],
    ['/', '/'],
    ['', '/tmp'],
  ])('reads the destination label %j as %j', (label, destination) => {
    const contract = readBuilderContract(BUILDER, image({ labels: { [LABELS.destination]: label } }));

    expect(contract.destination).toBe(destination);
  });

  it('runs assemble as the assemble-user label and the output image as the image user', () => {
    const info = image({ user: 'default', labels: { [LABELS.assembleUser]: '1002' } });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract.assembleUser).toBe('1002');
    expect(contract.assembleUserFrom).toBe('label');
    expect(contract.runUser).toBe('default');
  });

  it('runs assemble as the image user when the assemble-user label is empty', () => {
    const info = image({ user: '1001:0', labels: { [LABELS.assembleUser]: '' } });

    const contract = readBuilderContract(BUILDER, info);

    expect(contract.assembleUser).toBe('1001:0');
    expect(contract.assembleUserFrom).toBe('USER');
    expect(contract.runUser).toBe('1001:0');
  });
});
