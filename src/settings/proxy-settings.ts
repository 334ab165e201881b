import { SettingsError } from './build-settings.js';

/** Operator's HTTP proxy for build scripts, read from `S2I_BUILD_*_PROXY` environment variables. */
export interface ProxySettings {
  /** Proxy for plain HTTP (`S2I_BUILD_HTTP_PROXY`, e.g. `http://proxy.internal:3128`); may carry `user:password@`. */
  httpProxy: string | undefined;
  /** Proxy for HTTPS (`S2I_BUILD_HTTPS_PROXY`); may carry `user:password@`. */
  httpsProxy: string | undefined;
  /** Hosts that bypass the proxy (`S2I_BUILD_NO_PROXY`, comma-separated, e.g. `localhost,.internal`). */
  noProxy: string | undefined;
}

/** Reads the proxy settings; a value that is not an http(s) URL is an error naming the variable (credentials hidden). */
export function loadProxySettings(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  return {
    httpProxy: parseProxyUrl('S2I_BUILD_HTTP_PROXY', env.S2I_BUILD_HTTP_PROXY),
    httpsProxy: parseProxyUrl('S2I_BUILD_HTTPS_PROXY', env.S2I_BUILD_HTTPS_PROXY),
    noProxy: parseNoProxy(env.S2I_BUILD_NO_PROXY),
  };
}

/**
 * The variables build scripts read for a proxy, both spellings (curl and Go read the lower-case ones, npm and
 * pip either), as `KEY=VALUE` pairs. Empty when no proxy is set.
 */
export function proxyVariables(settings: ProxySettings | undefined): string[] {
  if (!settings) return [];
  const pairs: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value) pairs.push(`${name}=${value}`, `${name.toLowerCase()}=${value}`);
  };
  add('HTTP_PROXY', settings.httpProxy);
  add('HTTPS_PROXY', settings.httpsProxy);
  add('NO_PROXY', settings.noProxy);
  return pairs;
}

/**
 * Hides the credentials of the configured proxies wherever they appear in `text`: a proxy URL's
 * `user:password@` becomes `***@`, and the password alone (as a script might print it) becomes `***`.
 */
export function redactProxyCredentials(text: string, settings: ProxySettings | undefined): string {
  let result = text;
  for (const secret of proxySecrets(settings)) result = result.split(secret).join(secret.endsWith('@') ? '***@' : '***');
  return result;
}

/** The strings that must never be shown: `user:password@` as written, and the password (raw and decoded). */
export function proxySecrets(settings: ProxySettings | undefined): string[] {
  const secrets = new Set<string>();
  for (const value of [settings?.httpProxy, settings?.httpsProxy]) {
    const userinfo = value ? /^[a-z][a-z0-9+.-]*:\/\/([^/@]*)@/i.exec(value)?.[1] : undefined;
    if (!userinfo) continue;
    secrets.add(`${userinfo}@`);
    const password = userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : '';
    // A password of a character or two would blank out ordinary log text; the userinfo form still hides it in URLs.
    if (password.length >= 4) {
      secrets.add(password);
      const decoded = safeDecode(password);
      if (decoded.length >= 4) secrets.add(decoded);
    }
  }
  // Longest first, so a password inside `user:password@` does not break the longer match.
  return [...secrets].sort((a, b) => b.length - a.length);
}

/** A proxy URL with its credentials replaced by `***`, for messages. */
export function redactUrl(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

function parseProxyUrl(name: string, value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (!trimmed) return undefined;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new SettingsError(`${name} must be an http:// or https:// URL such as http://proxy.internal:3128, got "${redactUrl(trimmed)}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '' || /\s/.test(trimmed)) {
    throw new SettingsError(`${name} must be an http:// or https:// URL such as http://proxy.internal:3128, got "${redactUrl(trimmed)}"`);
  }
  return trimmed;
}

function parseNoProxy(value: string | undefined): string | undefined {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.some((entry) => /\s/.test(entry))) {
    throw new SettingsError(`S2I_BUILD_NO_PROXY must be a comma-separated list of hosts such as localhost,.internal, got "${value}"`);
  }
  return entries.length > 0 ? entries.join(',') : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
