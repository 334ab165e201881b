import type { ScriptsUrl } from '../../src/build/script-source-url.js';
import {
  formatUidRanges,
  loadBuildSettings,
  parseAllowedUids,
  SettingsError,
  uidAllowed,
  type BuildSettings,
  type UidRange,
} from '../../src/settings/build-settings.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function settingsError(env: NodeJS.ProcessEnv): SettingsError {
  try {
    loadBuildSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error(`loadBuildSettings accepted ${JSON.stringify(env)}`);
}

describe('settings/build-settings', () => {
  it('has operator defaults when no variable is set', () => {
    const settings = loadBuildSettings({});

    expect(settings).toEqual<BuildSettings>({
      memoryBytes: 2 * GiB,
      cpus: 1,
      pidsLimit: 1024,
      timeoutSeconds: 30 * 60,
      network: 'bridge',
      caBundle: undefined,
      maxSourceBytes: GiB,
      scriptsUrl: undefined,
      scriptsDir: undefined,
      allowedUids: undefined,
      sourceInjection: 'archive',
      allowedBuilders: undefined,
    });
  });

  it('treats empty variables as unset', () => {
    const env = {
      S2I_BUILD_MEMORY: '',
      S2I_BUILD_CPUS: '',
      S2I_BUILD_PIDS: '',
      S2I_BUILD_TIMEOUT: '',
      S2I_BUILD_NETWORK: '',
      S2I_BUILD_CA_BUNDLE: '',
      S2I_MAX_SOURCE_BYTES: '',
      S2I_SCRIPTS_URL: '',
      S2I_SCRIPTS_DIR: '',
      S2I_ALLOWED_UIDS: '',
      S2I_SOURCE_INJECTION: '',
      S2I_ALLOWED_BUILDERS: '',
    };

    const settings = loadBuildSettings(env);

    expect(settings).toEqual(loadBuildSettings({}));
  });

  it('reads every variable', () => {
    const env = {
      S2I_BUILD_MEMORY: '512m',
      S2I_BUILD_CPUS: '1.5',
      S2I_BUILD_PIDS: '256',
      S2I_BUILD_TIMEOUT: '900s',
      S2I_BUILD_NETWORK: 'none',
      S2I_BUILD_CA_BUNDLE: '/etc/pki/ca.pem',
      S2I_MAX_SOURCE_BYTES: '100m',
      S2I_SCRIPTS_URL: 'file:///srv/s2i/nodejs/',
      S2I_SCRIPTS_DIR: '/srv/s2i/',
      S2I_ALLOWED_UIDS: '1-',
      S2I_SOURCE_INJECTION: 'stdin',
      S2I_ALLOWED_BUILDERS: 'registry.example.com/s2i/*, docker.io/library/node:*',
    };

    const settings = loadBuildSettings(env);

    expect(settings).toEqual<BuildSettings>({
      memoryBytes: 512 * MiB,
      cpus: 1.5,
      pidsLimit: 256,
      timeoutSeconds: 900,
      network: 'none',
      caBundle: '/etc/pki/ca.pem',
      maxSourceBytes: 100 * MiB,
      scriptsUrl: { kind: 'file', url: 'file:///srv/s2i/nodejs/', path: '/srv/s2i/nodejs', relative: false },
      scriptsDir: '/srv/s2i',
      allowedUids: [{ from: 1, to: undefined }],
      sourceInjection: 'stdin',
      allowedBuilders: ['registry.example.com/s2i/*', 'docker.io/library/node:*'],
    });
  });

  it.each<[string, number]>([
    ['1048576', MiB],
    ['100b', 100],
    ['64k', 64 * 1024],
    ['512m', 512 * MiB],
    ['512M', 512 * MiB],
    ['512mb', 512 * MiB],
    ['512MiB', 512 * MiB],
    ['2g', 2 * GiB],
    ['2G', 2 * GiB],
    ['1.5g', 1.5 * GiB],
    ['1t', 1024 ** 4],
    [' 3 g ', 3 * GiB],
    ['0.5k', 512],
    ['1.0001k', 1024],
  ])('reads the size %j', (value, bytes) => {
    expect(loadBuildSettings({ S2I_BUILD_MEMORY: value }).memoryBytes).toBe(bytes);
    expect(loadBuildSettings({ S2I_MAX_SOURCE_BYTES: value }).maxSourceBytes).toBe(bytes);
  });

  it.each(['S2I_BUILD_MEMORY', 'S2I_MAX_SOURCE_BYTES'])('refuses invalid sizes in %s, naming the variable', (name) => {
    for (const value of ['0', '0g', '-1g', 'lots', '2x', '2gg', 'g', '1,5g', '1e9', '0.5', '0.9b']) {
      const error = settingsError({ [name]: value });

      expect(error.message).toBe(`${name} must be a size such as 512m or 2g, got "${value}"`);
    }
  });

  it.each<[string, number]>([
    ['2', 2],
    ['0.5', 0.5],
    ['1.5', 1.5],
    ['16', 16],
  ])('reads S2I_BUILD_CPUS=%j', (value, cpus) => {
    expect(loadBuildSettings({ S2I_BUILD_CPUS: value }).cpus).toBe(cpus);
  });

  it.each(['0.001', '0.0049'])('refuses S2I_BUILD_CPUS=%j, which the engine would read as unlimited', (value) => {
    const error = settingsError({ S2I_BUILD_CPUS: value });

    expect(error.message).toBe(`S2I_BUILD_CPUS must be at least 0.01, got "${value}"`);
  });

  it.each(['0', '-1', 'two', 'Infinity', 'NaN', ' '])('refuses S2I_BUILD_CPUS=%j', (value) => {
    const error = settingsError({ S2I_BUILD_CPUS: value });

    expect(error.message).toBe(`S2I_BUILD_CPUS must be a positive number, got "${value}"`);
  });

  it.each<[string, number]>([
    ['1', 1],
    ['100', 100],
    ['100.7', 100],
    ['4096', 4096],
  ])('reads S2I_BUILD_PIDS=%j as a whole number', (value, pids) => {
    expect(loadBuildSettings({ S2I_BUILD_PIDS: value }).pidsLimit).toBe(pids);
  });

  it.each(['0', '-5', 'many', '0.5'])('refuses S2I_BUILD_PIDS=%j, which would give no usable process limit', (value) => {
    const error = settingsError({ S2I_BUILD_PIDS: value });

    expect(error.message).toMatch(/^S2I_BUILD_PIDS must be /);
    expect(error.message).toContain(`"${value}"`);
  });

  it.each<[string, number]>([
    ['45', 45],
    ['900s', 900],
    ['900S', 900],
    ['30m', 1800],
    ['1h', 3600],
    ['1.5h', 5400],
    [' 10 m ', 600],
  ])('reads S2I_BUILD_TIMEOUT=%j', (value, seconds) => {
    expect(loadBuildSettings({ S2I_BUILD_TIMEOUT: value }).timeoutSeconds).toBe(seconds);
  });

  it.each(['0', '0s', '-1m', '1d', '10 minutes', 'soon', '1h30m'])('refuses S2I_BUILD_TIMEOUT=%j', (value) => {
    const error = settingsError({ S2I_BUILD_TIMEOUT: value });

    expect(error.message).toBe(`S2I_BUILD_TIMEOUT must be a duration such as 900s, 30m or 1h, got "${value}"`);
  });

  it.each(['bridge', 'none'] as const)('reads S2I_BUILD_NETWORK=%s', (network) => {
    expect(loadBuildSettings({ S2I_BUILD_NETWORK: network }).network).toBe(network);
  });

  it.each(['host', 'container:abc', 'BRIDGE', 'default'])('refuses S2I_BUILD_NETWORK=%j', (value) => {
    const error = settingsError({ S2I_BUILD_NETWORK: value });

    expect(error.message).toBe(`S2I_BUILD_NETWORK must be "bridge" or "none", got "${value}"`);
  });

  it('gives errors named SettingsError', () => {
    const error = settingsError({ S2I_BUILD_CPUS: 'x' });

    expect(error.name).toBe('SettingsError');
    expect(error).toBeInstanceOf(Error);
  });

  describe('S2I_ALLOWED_BUILDERS', () => {
    it.each([
      ['registry.example.com/s2i/*,,docker.io/*', '(an empty entry)'],
      ['registry.example.com/s2i/*,', '(an empty entry)'],
      ['!registry.example.com/evil/*', '("!registry.example.com/evil/*" is not a glob of an image reference)'],
      ['registry.example.com/s2i/*,evil image', '("evil image" is not a glob of an image reference)'],
      ['registry.example.com\\s2i\\*', '("registry.example.com\\s2i\\*" is not a glob of an image reference)'],
    ])('refuses %j rather than allowing nothing or everything', (value, detail) => {
      const error = settingsError({ S2I_ALLOWED_BUILDERS: value });

      expect(error.message).toBe(`S2I_ALLOWED_BUILDERS must be comma-separated image globs such as registry.example.com/s2i/*,docker.io/library/node:*, got "${value}" ${detail}`);
    });
  });

  describe('S2I_ALLOWED_UIDS (s2i --allowed-uids syntax)', () => {
    it.each<[string, UidRange[]]>([
      ['1-', [{ from: 1, to: undefined }]],
      ['1000-2000', [{ from: 1000, to: 2000 }]],
      ['1-,5', [{ from: 1, to: undefined }, { from: 5, to: 5 }]],
      ['-999', [{ from: 0, to: 999 }]],
      ['0', [{ from: 0, to: 0 }]],
      [' 1000 - 2000 , 0 ', [{ from: 1000, to: 2000 }, { from: 0, to: 0 }]],
      ['4294967294', [{ from: 4294967294, to: 4294967294 }]],
    ])('reads %j', (value, ranges) => {
      expect(loadBuildSettings({ S2I_ALLOWED_UIDS: value }).allowedUids).toEqual(ranges);
    });

    it.each(['-', 'root', '1-2-3', '2000-1000', '1,,2', ',', '1.5', '-1-', '4294967295', '1 2'])('refuses %j, naming the setting and the syntax', (value) => {
      const error = settingsError({ S2I_ALLOWED_UIDS: value });

      expect(error.message).toBe(`S2I_ALLOWED_UIDS must be uid ranges such as 1-, 1000-2000 or 1-,5, got "${value}"`);
    });

    it.each<[number, boolean]>([
      [0, false],
      [1, false],
      [999, false],
      [1000, true],
      [2000, true],
      [2001, false],
      [5, true],
    ])('decides uid %i against 1000-2000,5 as %s', (uid, allowed) => {
      const ranges = loadBuildSettings({ S2I_ALLOWED_UIDS: '1000-2000,5' }).allowedUids ?? [];

      expect(uidAllowed(uid, ranges)).toBe(allowed);
    });

    it('writes ranges back in the setting syntax for messages', () => {
      expect(formatUidRanges(parseAllowedUids('1-, 1000-2000,5,-9') ?? [])).toBe('1-,1000-2000,5,0-9');
    });
  });

  describe('S2I_SCRIPTS_URL and S2I_SCRIPTS_DIR', () => {
    it.each<[string, ScriptsUrl]>([
      ['image:///usr/libexec/s2i', { kind: 'image', url: 'image:///usr/libexec/s2i', dir: '/usr/libexec/s2i' }],
      ['https://scripts.example.com/s2i/nodejs/', { kind: 'http', url: 'https://scripts.example.com/s2i/nodejs/', base: 'https://scripts.example.com/s2i/nodejs' }],
      ['file://nodejs', { kind: 'file', url: 'file://nodejs', path: 'nodejs', relative: true }],
    ])('reads %j', (value, url) => {
      expect(loadBuildSettings({ S2I_SCRIPTS_URL: value, S2I_SCRIPTS_DIR: '/srv/s2i' }).scriptsUrl).toEqual(url);
    });

    it.each<[NodeJS.ProcessEnv, string]>([
      [{ S2I_SCRIPTS_URL: 'ftp://example.com/s2i' }, 'S2I_SCRIPTS_URL "ftp://example.com/s2i" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
      [{ S2I_SCRIPTS_URL: '/usr/libexec/s2i' }, 'S2I_SCRIPTS_URL "/usr/libexec/s2i" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
      [{ S2I_SCRIPTS_URL: 'image://usr/libexec/s2i' }, 'S2I_SCRIPTS_URL "image://usr/libexec/s2i" must name an absolute path inside the image, such as image:///usr/libexec/s2i'],
      [{ S2I_SCRIPTS_URL: 'https://user:secret@example.com/s2i' }, 'S2I_SCRIPTS_URL "https://***@example.com/s2i" carries credentials, which scripts URLs may not'],
      [{ S2I_SCRIPTS_URL: 'file:///srv/s2i/nodejs' }, 'S2I_SCRIPTS_URL file:///srv/s2i/nodejs reads host files, which needs S2I_SCRIPTS_DIR to name the directory that holds them'],
      [{ S2I_SCRIPTS_URL: 'file:///etc/s2i', S2I_SCRIPTS_DIR: '/srv/s2i' }, 'S2I_SCRIPTS_URL file:///etc/s2i is outside S2I_SCRIPTS_DIR (/srv/s2i)'],
      [{ S2I_SCRIPTS_URL: 'file:///srv/s2i/../../etc', S2I_SCRIPTS_DIR: '/srv/s2i' }, 'S2I_SCRIPTS_URL file:///srv/s2i/../../etc is outside S2I_SCRIPTS_DIR (/srv/s2i)'],
      [{ S2I_SCRIPTS_URL: 'file://../etc', S2I_SCRIPTS_DIR: '/srv/s2i' }, 'S2I_SCRIPTS_URL "file://../etc" climbs out of the scripts directory'],
      [{ S2I_SCRIPTS_DIR: 'srv/s2i' }, 'S2I_SCRIPTS_DIR must be an absolute path, got "srv/s2i"'],
    ])('refuses %j', (env, message) => {
      expect(settingsError(env).message).toBe(message);
    });
  });

  it.each(['archive', 'stdin'] as const)('reads S2I_SOURCE_INJECTION=%s', (mode) => {
    expect(loadBuildSettings({ S2I_SOURCE_INJECTION: mode }).sourceInjection).toBe(mode);
  });

  it.each(['tar', 'STDIN', 'copy'])('refuses S2I_SOURCE_INJECTION=%j', (value) => {
    expect(settingsError({ S2I_SOURCE_INJECTION: value }).message).toBe(`S2I_SOURCE_INJECTION must be "archive" or "stdin", got "${value}"`);
  });
});
