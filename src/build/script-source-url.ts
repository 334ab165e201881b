import { posix } from 'node:path';

/**
 * Where a set of S2I scripts lives, parsed from a scripts URL (the `io.openshift.s2i.scripts-url` label,
 * the legacy `STI_SCRIPTS_URL` variable, or the operator's `S2I_SCRIPTS_URL`).
 * - `image`: a directory inside the builder image (`image:///usr/libexec/s2i`);
 * - `file`: a directory on the bot's host (`file:///srv/s2i/nodejs`, or `file://nodejs` relative to
 *   `S2I_SCRIPTS_DIR`), readable only inside `S2I_SCRIPTS_DIR`;
 * - `http`: a directory on a web server (`https://example.com/s2i/nodejs`), downloaded by the bot.
 */
export type ScriptsUrl =
  | { kind: 'image'; url: string; dir: string }
  | { kind: 'file'; url: string; path: string; relative: boolean }
  | { kind: 'http'; url: string; base: string };

/** A scripts URL that cannot be used; the message says why, without naming who declared it. */
export class ScriptsUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScriptsUrlError';
  }
}

/** The URL forms s2i's scripts URLs accept, for error messages. */
export const SCRIPTS_URL_FORMS = 'image:///path, file:///path or http(s)://host/path';

/**
 * Parses a scripts URL. The scheme is case-insensitive (as in s2i); trailing slashes are dropped; an image
 * path must be absolute; an http(s) URL must not carry credentials, a query or a fragment, because the script
 * names are appended to it.
 */
export function parseScriptsUrl(raw: string): ScriptsUrl {
  const url = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1].toLowerCase();
  const rest = scheme === undefined ? '' : url.slice(scheme.length + 3);
  switch (scheme) {
    case 'image': {
      if (!rest.startsWith('/')) throw new ScriptsUrlError(`"${url}" must name an absolute path inside the image, such as image:///usr/libexec/s2i`);
      return { kind: 'image', url, dir: normaliseDir(rest) };
    }
    case 'file': {
      if (rest === '' || rest.includes('\0')) throw new ScriptsUrlError(`"${url}" names no directory`);
      const relative = !rest.startsWith('/');
      const path = relative ? posix.normalize(rest).replace(/\/+$/, '') : normaliseDir(rest);
      if (relative && (path === '..' || path.startsWith('../'))) throw new ScriptsUrlError(`"${url}" climbs out of the scripts directory`);
      return { kind: 'file', url, path: path === '' ? '.' : path, relative };
    }
    case 'http':
    case 'https': {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new ScriptsUrlError(`"${url}" is not a valid URL`);
      }
      if (parsed.username || parsed.password) throw new ScriptsUrlError(`"${redactUrl(url)}" carries credentials, which scripts URLs may not`);
      if (parsed.search || parsed.hash) throw new ScriptsUrlError(`"${url}" has a query or fragment; the script names are appended to its path`);
      return { kind: 'http', url, base: parsed.href.replace(/\/+$/, '') };
    }
    default:
      throw new ScriptsUrlError(`"${url}" is not a scripts URL; use ${SCRIPTS_URL_FORMS}`);
  }
}

/** The URL of one script of a set, as s2i forms it: `<url>/<name>`. */
export function scriptUrl(location: ScriptsUrl, name: string): string {
  switch (location.kind) {
    case 'image':
      return `image://${joinPath(location.dir, name)}`;
    case 'file':
      return location.relative ? `file://${location.path}/${name}` : `file://${joinPath(location.path, name)}`;
    case 'http':
      return `${location.base}/${name}`;
  }
}

/** `dir/name` without a doubled slash when `dir` is `/`. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** A URL with any user:password part masked, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

function normaliseDir(path: string): string {
  return posix.normalize(path).replace(/\/+$/, '') || '/';
}
