import { joinPath, parseScriptsUrl, redactUrl, ScriptsUrlError, scriptUrl, type ScriptsUrl } from '../../src/build/script-source-url.js';

function parseError(raw: string): ScriptsUrlError {
  try {
    parseScriptsUrl(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ScriptsUrlError);
    return error as ScriptsUrlError;
  }
  throw new Error(`parseScriptsUrl accepted ${raw}`);
}

describe('build/script-source-url', () => {
  it.each<[string, ScriptsUrl]>([
    ['image:///usr/libexec/s2i', { kind: 'image', url: 'image:///usr/libexec/s2i', dir: '/usr/libexec/s2i' }],
    ['image:///usr/libexec/s2i/', { kind: 'image', url: 'image:///usr/libexec/s2i/', dir: '/usr/libexec/s2i' }],
    ['  Image:///opt/s2i/../s2i  ', { kind: 'image', url: 'Image:///opt/s2i/../s2i', dir: '/opt/s2i' }],
    ['image:///', { kind: 'image', url: 'image:///', dir: '/' }],
    ['file:///srv/s2i/nodejs/', { kind: 'file', url: 'file:///srv/s2i/nodejs/', path: '/srv/s2i/nodejs', relative: false }],
    ['file://nodejs/v20', { kind: 'file', url: 'file://nodejs/v20', path: 'nodejs/v20', relative: true }],
    ['FILE://./nodejs', { kind: 'file', url: 'FILE://./nodejs', path: 'nodejs', relative: true }],
    ['http://127.0.0.1:8080/s2i', { kind: 'http', url: 'http://127.0.0.1:8080/s2i', base: 'http://127.0.0.1:8080/s2i' }],
    ['HTTPS://Scripts.Example.com/s2i/nodejs/', { kind: 'http', url: 'HTTPS://Scripts.Example.com/s2i/nodejs/', base: 'https://scripts.example.com/s2i/nodejs' }],
    ['https://example.com', { kind: 'http', url: 'https://example.com', base: 'https://example.com' }],
  ])('parses %j', (raw, expected) => {
    expect(parseScriptsUrl(raw)).toEqual(expected);
  });

  it.each<[string, string]>([
    ['', '"" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
    ['/usr/libexec/s2i', '"/usr/libexec/s2i" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
    ['ftp://example.com/s2i', '"ftp://example.com/s2i" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
    ['image:/usr/libexec/s2i', '"image:/usr/libexec/s2i" is not a scripts URL; use image:///path, file:///path or http(s)://host/path'],
    ['image://usr/libexec/s2i', '"image://usr/libexec/s2i" must name an absolute path inside the image, such as image:///usr/libexec/s2i'],
    ['file://', '"file://" names no directory'],
    ['file://../../etc', '"file://../../etc" climbs out of the scripts directory'],
    ['file://a/../../etc', '"file://a/../../etc" climbs out of the scripts directory'],
    ['https://', '"https://" is not a valid URL'],
    ['https://bot:hunter2@example.com/s2i', '"https://***@example.com/s2i" carries credentials, which scripts URLs may not'],
    ['https://example.com/s2i?token=x', '"https://example.com/s2i?token=x" has a query or fragment; the script names are appended to its path'],
    ['https://example.com/s2i#main', '"https://example.com/s2i#main" has a query or fragment; the script names are appended to its path'],
  ])('refuses %j: %s', (raw, message) => {
    expect(parseError(raw).message).toBe(message);
  });

  it.each<[string, string, string]>([
    ['image:///usr/libexec/s2i', 'assemble', 'image:///usr/libexec/s2i/assemble'],
    ['image:///', 'run', 'image:///run'],
    ['file:///srv/s2i/', 'run', 'file:///srv/s2i/run'],
    ['file://nodejs', 'run', 'file://nodejs/run'],
    ['https://example.com/s2i/', 'save-artifacts', 'https://example.com/s2i/save-artifacts'],
  ])('forms the URL of a script as s2i does: %j + %s', (raw, name, expected) => {
    expect(scriptUrl(parseScriptsUrl(raw), name)).toBe(expected);
  });

  it('joins paths without doubling the root slash', () => {
    expect([joinPath('/', 'scripts'), joinPath('/tmp', 'scripts')]).toEqual(['/scripts', '/tmp/scripts']);
  });

  it.each<[string, string]>([
    ['https://user:pass@example.com/a', 'https://***@example.com/a'],
    ['https://example.com/a@b', 'https://example.com/a@b'],
    ['http://token@example.com/', 'http://***@example.com/'],
  ])('masks credentials in %j', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });
});
