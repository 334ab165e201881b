import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { formatBytes } from '../source/prepare-source.js';
import { redactUrl, scriptUrl, type ScriptsUrl } from './script-source-url.js';

/** The largest script the bot downloads or reads from the host. */
export const MAX_SCRIPT_BYTES = 1024 * 1024;
/** How long one script download may take, connection and body included. */
export const SCRIPT_DOWNLOAD_TIMEOUT_MS = 30_000;

/** A script found at a URL, or the reason it is not there (which lets the next location be tried). */
export type FetchedScript = { found: true; content: Buffer } | { found: false; reason: string };

/**
 * A script URL that failed in a way that must stop the build: unreachable, refused, too large, outside the
 * allowed directory. Only "not there" (404, no such file) lets s2i's search go on to the next location.
 */
export class ScriptFetchError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'ScriptFetchError';
  }
}

export interface FetchScriptOptions {
  /** `S2I_SCRIPTS_DIR`: the only host directory file:// URLs may read. */
  scriptsDir: string | undefined;
  timeoutMs?: number;
  maxBytes?: number;
  signal?: AbortSignal;
}

/** Reads one script from a `file://` or `http(s)://` scripts URL (image:// scripts are never fetched). */
export async function fetchScript(location: ScriptsUrl, name: string, options: FetchScriptOptions): Promise<FetchedScript> {
  switch (location.kind) {
    case 'file':
      return readHostScript(location, name, options);
    case 'http':
      return downloadScript(scriptUrl(location, name), options);
    case 'image':
      throw new Error(`${location.url} names scripts inside the image; they are not fetched`);
  }
}

async function readHostScript(location: Extract<ScriptsUrl, { kind: 'file' }>, name: string, options: FetchScriptOptions): Promise<FetchedScript> {
  const url = scriptUrl(location, name);
  const dir = options.scriptsDir;
  if (dir === undefined) {
    throw new ScriptFetchError(`${url} is on the bot's host, and the operator allows no host scripts (S2I_SCRIPTS_DIR is unset)`,
      'use image:// or http(s):// scripts, ship them in .s2i/bin/ of the source, or ask the operator to set S2I_SCRIPTS_DIR to the directory that holds them');
  }
  const outside = () =>
    new ScriptFetchError(`${url} is outside the directory the operator allows for host scripts (S2I_SCRIPTS_DIR)`,
      'use image:// or http(s):// scripts, ship them in .s2i/bin/ of the source, or ask the operator to place the scripts under S2I_SCRIPTS_DIR');
  const path = location.relative ? join(dir, location.path, name) : join(location.path, name);
  if (!within(dir, path)) throw outside();
  let real: string;
  let realDir: string;
  try {
    [realDir, real] = await Promise.all([realpath(dir), realpath(path)]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: false, reason: `${url} does not exist` };
    throw new ScriptFetchError(`${url} could not be read: ${(error as Error).message}`, 'ask the operator to check the scripts under S2I_SCRIPTS_DIR');
  }
  // Symlinks are resolved first: a link inside the directory must not lead the bot to any other host file.
  if (!within(realDir, real)) throw outside();
  const maxBytes = options.maxBytes ?? MAX_SCRIPT_BYTES;
  let handle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw new ScriptFetchError(`${url} could not be read: ${(error as Error).message}`, 'ask the operator to check the scripts under S2I_SCRIPTS_DIR');
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new ScriptFetchError(`${url} is not a regular file`, 'ask the operator to place the script itself under S2I_SCRIPTS_DIR');
    }
    if (stats.size > maxBytes) throw tooLarge(url, maxBytes);
    const content = await handle.readFile();
    if (content.length > maxBytes) throw tooLarge(url, maxBytes);
    return { found: true, content };
  } finally {
    await handle.close();
  }
}

async function downloadScript(url: string, options: FetchScriptOptions): Promise<FetchedScript> {
  const shown = redactUrl(url);
  const timeoutMs = options.timeoutMs ?? SCRIPT_DOWNLOAD_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? MAX_SCRIPT_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const unreachable = (detail: string) =>
    new ScriptFetchError(`${shown} could not be downloaded: ${detail}`,
      'check that the scripts URL is right and its server reachable from the bot, or ship the scripts in .s2i/bin/ of the source');
  let response: Response;
  try {
    // Redirects are not followed: only a 200 from the URL that was configured is a script.
    response = await fetch(url, { redirect: 'manual', signal });
  } catch (error) {
    if (timeout.aborted) throw unreachable(`no answer within ${timeoutMs / 1000}s`);
    if (options.signal?.aborted) throw unreachable('the build was cancelled');
    throw unreachable(describeFetchError(error));
  }
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return { found: false, reason: `${shown} answered ${response.status}` };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    const location = response.headers.get('location');
    throw new ScriptFetchError(
      `${shown} answered ${response.status} ${response.statusText}`.trim() + (location ? ` (a redirect to ${redactUrl(location)}, which is not followed)` : ''),
      location ? 'point the scripts URL at the final location' : 'check the scripts URL and its server; only a 200 answer is taken as a script',
    );
  }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(shown, maxBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > maxBytes) {
        await response.body?.cancel().catch(() => undefined);
        throw tooLarge(shown, maxBytes);
      }
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (error) {
    if (error instanceof ScriptFetchError) throw error;
    if (timeout.aborted) throw unreachable(`the download did not finish within ${timeoutMs / 1000}s`);
    throw unreachable(describeFetchError(error));
  }
  return { found: true, content: Buffer.concat(chunks) };
}

function tooLarge(url: string, maxBytes: number): ScriptFetchError {
  return new ScriptFetchError(`${url} is larger than the ${formatBytes(maxBytes)} an S2I script may be`, 'make the script smaller, for example by moving its work into the builder image');
}

function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** undici wraps the interesting error (ECONNREFUSED, ENOTFOUND, a TLS failure) in `cause`. */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ''}`;
  return cause?.message ?? (error as Error).message ?? String(error);
}
