import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchScript, ScriptFetchError, type FetchedScript } from '../../src/build/script-source-fetch.js';
import { parseScriptsUrl } from '../../src/build/script-source-url.js';
import { closedPortUrl, ScriptServer } from './scripts-http-server.js';

const server = new ScriptServer();
let scriptsDir: string;
let outsideDir: string;

beforeAll(async () => {
  await server.start();
  scriptsDir = await mkdtemp(join(tmpdir(), 's2i-bot-scripts-dir-'));
  outsideDir = await mkdtemp(join(tmpdir(), 's2i-bot-outside-'));
  await mkdir(join(scriptsDir, 'nodejs'));
  await writeFile(join(scriptsDir, 'nodejs', 'assemble'), '#!/bin/sh\necho host assemble\n');
  await writeFile(join(scriptsDir, 'nodejs', 'big'), Buffer.alloc(2048, 'x'));
  await mkdir(join(scriptsDir, 'nodejs', 'dir'));
  await writeFile(join(outsideDir, 'secret'), 'host secret\n');
  await symlink(join(outsideDir, 'secret'), join(scriptsDir, 'nodejs', 'run'));
  await symlink(outsideDir, join(scriptsDir, 'escape'));
});

afterAll(async () => {
  await server.stop();
  await rm(scriptsDir, { recursive: true, force: true });
  await rm(outsideDir, { recursive: true, force: true });
});

async function fetchError(promise: Promise<FetchedScript>): Promise<ScriptFetchError> {
  const outcome = await promise.then(
    (result) => new Error(`resolved with ${JSON.stringify(result)}`),
    (caught: unknown) => caught,
  );
  expect(outcome).toBeInstanceOf(ScriptFetchError);
  return outcome as ScriptFetchError;
}

describe('build/script-source-fetch', () => {
  describe('http(s)', () => {
    it('downloads <url>/<name> and takes a 200 as the script', async () => {
      server.on('/s2i/ok/assemble', (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end('#!/bin/sh\necho remote\n'));

      const result = await fetchScript(parseScriptsUrl(`${server.base}/s2i/ok/`), 'assemble', { scriptsDir: undefined });

      expect(result).toEqual({ found: true, content: Buffer.from('#!/bin/sh\necho remote\n') });
      expect(server.requests).toContain('GET /s2i/ok/assemble');
    });

    it.each([404, 410])('treats a %i as a missing script, so the next location is tried', async (status) => {
      server.on(`/s2i/gone${status}/run`, (_request, response) => response.writeHead(status).end());

      const result = await fetchScript(parseScriptsUrl(`${server.base}/s2i/gone${status}`), 'run', { scriptsDir: undefined });

      expect(result).toEqual({ found: false, reason: `${server.base}/s2i/gone${status}/run answered ${status}` });
    });

    it.each<[number, string]>([
      [500, 'Internal Server Error'],
      [403, 'Forbidden'],
      [201, 'Created'],
      [204, 'No Content'],
    ])('refuses any other answer than 200, here %i, naming the URL', async (status, text) => {
      server.on(`/s2i/status${status}/assemble`, (_request, response) => response.writeHead(status).end());

      const error = await fetchError(fetchScript(parseScriptsUrl(`${server.base}/s2i/status${status}`), 'assemble', { scriptsDir: undefined }));

      expect(error.message).toBe(`${server.base}/s2i/status${status}/assemble answered ${status} ${text}`);
      expect(error.hint).toContain('only a 200 answer is taken as a script');
    });

    it('does not follow a redirect, and says where it pointed', async () => {
      server.on('/s2i/moved/assemble', (_request, response) => response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end());

      const error = await fetchError(fetchScript(parseScriptsUrl(`${server.base}/s2i/moved`), 'assemble', { scriptsDir: undefined }));

      expect(error.message).toBe(`${server.base}/s2i/moved/assemble answered 302 Found (a redirect to http://169.254.169.254/latest/meta-data, which is not followed)`);
      expect(server.requests.filter((request) => request.includes('meta-data'))).toEqual([]);
    });

    it('refuses a script whose declared size is over the limit without reading it', async () => {
      server.on('/s2i/large/assemble', (_request, response) => response.writeHead(200, { 'content-length': String(2 * 1024 * 1024) }).end(Buffer.alloc(2 * 1024 * 1024)));

      const error = await fetchError(fetchScript(parseScriptsUrl(`${server.base}/s2i/large`), 'assemble', { scriptsDir: undefined }));

      expect(error.message).toBe(`${server.base}/s2i/large/assemble is larger than the 1 MiB an S2I script may be`);
    });

    it('stops reading a chunked script once it passes the limit', async () => {
      server.on('/s2i/chunked/assemble', (_request, response) => {
        response.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 'y');
        for (let index = 0; index < 20; index += 1) response.write(chunk);
        response.end();
      });

      const error = await fetchError(fetchScript(parseScriptsUrl(`${server.base}/s2i/chunked`), 'assemble', { scriptsDir: undefined }));

      expect(error.message).toBe(`${server.base}/s2i/chunked/assemble is larger than the 1 MiB an S2I script may be`);
    });

    it('says when a URL cannot be reached, with the error code', async () => {
      const base = await closedPortUrl();

      const error = await fetchError(fetchScript(parseScriptsUrl(`${base}/s2i`), 'assemble', { scriptsDir: undefined }));

      expect(error.message).toBe(`${base}/s2i/assemble could not be downloaded: ECONNREFUSED`);
      expect(error.hint).toBe('check that the scripts URL is right and its server reachable from the bot, or ship the scripts in .s2i/bin/ of the source');
    });

    it('gives up on a server that does not answer in time', async () => {
      server.on('/s2i/slow/assemble', () => undefined);

      const error = await fetchError(fetchScript(parseScriptsUrl(`${server.base}/s2i/slow`), 'assemble', { scriptsDir: undefined, timeoutMs: 200 }));

      expect(error.message).toBe(`${server.base}/s2i/slow/assemble could not be downloaded: no answer within 0.2s`);
    });

    it('stops when the build is cancelled', async () => {
      server.on('/s2i/hang/assemble', () => undefined);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);

      const error = await fetchError(fetchScript(parseScriptsUrl(`${server.base}/s2i/hang`), 'assemble', { scriptsDir: undefined, signal: controller.signal }));

      expect(error.message).toBe(`${server.base}/s2i/hang/assemble could not be downloaded: the build was cancelled`);
    });
  });

  describe('file://', () => {
    it('reads a script inside S2I_SCRIPTS_DIR, by absolute or relative URL', async () => {
      const absolute = await fetchScript(parseScriptsUrl(`file://${scriptsDir}/nodejs`), 'assemble', { scriptsDir });
      const relative = await fetchScript(parseScriptsUrl('file://nodejs'), 'assemble', { scriptsDir });

      expect(absolute).toEqual({ found: true, content: Buffer.from('#!/bin/sh\necho host assemble\n') });
      expect(relative).toEqual(absolute);
    });

    it('treats a missing file as a missing script', async () => {
      const result = await fetchScript(parseScriptsUrl('file://nodejs'), 'save-artifacts', { scriptsDir });

      expect(result).toEqual({ found: false, reason: 'file://nodejs/save-artifacts does not exist' });
    });

    it('refuses every host file when S2I_SCRIPTS_DIR is unset', async () => {
      const error = await fetchError(fetchScript(parseScriptsUrl('file:///etc'), 'passwd', { scriptsDir: undefined }));

      expect(error.message).toBe("file:///etc/passwd is on the bot's host, and the operator allows no host scripts (S2I_SCRIPTS_DIR is unset)");
    });

    it.each<[string, string]>([
      ['file:///etc', 'passwd'],
      ['file:///', 'etc'],
    ])('refuses %j + %s outside S2I_SCRIPTS_DIR', async (url, name) => {
      const error = await fetchError(fetchScript(parseScriptsUrl(url), name, { scriptsDir }));

      expect(error.message).toMatch(/is outside the directory the operator allows for host scripts \(S2I_SCRIPTS_DIR\)$/);
    });

    it('refuses a symlink inside S2I_SCRIPTS_DIR that leads outside it', async () => {
      const viaFile = await fetchError(fetchScript(parseScriptsUrl('file://nodejs'), 'run', { scriptsDir }));
      const viaDir = await fetchError(fetchScript(parseScriptsUrl('file://escape'), 'secret', { scriptsDir }));

      expect(viaFile.message).toBe('file://nodejs/run is outside the directory the operator allows for host scripts (S2I_SCRIPTS_DIR)');
      expect(viaDir.message).toBe('file://escape/secret is outside the directory the operator allows for host scripts (S2I_SCRIPTS_DIR)');
    });

    it('refuses a file over the size limit and anything that is not a regular file', async () => {
      const large = await fetchError(fetchScript(parseScriptsUrl('file://nodejs'), 'big', { scriptsDir, maxBytes: 1024 }));
      const directory = await fetchError(fetchScript(parseScriptsUrl('file://nodejs'), 'dir', { scriptsDir }));

      expect(large.message).toBe('file://nodejs/big is larger than the 1 KiB an S2I script may be');
      expect(directory.message).toBe('file://nodejs/dir is not a regular file');
    });
  });
});
