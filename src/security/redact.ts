import { readFile } from 'node:fs/promises';
import { dockerConfigPath } from '../registry/docker-config.js';
import { proxySecrets, type ProxySettings } from '../settings/proxy-settings.js';

/**
 * Names of variables whose values are secrets: in the bot's environment (`WEBHOOK_SECRET`, `PRIVATE_KEY`,
 * `GITHUB_TOKEN`) and in a build's `env` (`API_TOKEN`, `DB_PASSWORD`, `NPM_AUTH_TOKEN`). `secretEnv` needs no rule:
 * it holds Kubernetes Secret references, never values.
 */
export const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/**
 * Values shorter than this are not hidden: replacing every "true" or "1234" in a log would garble it, and a secret
 * that short is no secret. (Build output also goes through the proxy's own redaction, which hides proxy passwords
 * from 4 characters: see proxy-settings.ts.)
 */
export const MIN_SECRET_LENGTH = 6;

/** What a hidden value is replaced with. */
export const REDACTED = '***';

/**
 * Tokens hidden wherever they appear, known or not: GitHub's installation, OAuth, user-to-server, refresh and
 * personal access tokens (`ghs_…`, `gho_…`, `ghu_…`, `ghr_…`, `ghp_…`, `github_pat_…`).
 */
const TOKEN_PATTERNS: readonly RegExp[] = [/\bgh[opsur]_[A-Za-z0-9]{30,}\b/g, /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g];

/** PEM lines of at least this length are hidden one by one, so a key printed line by line is hidden too. */
const MIN_PEM_LINE = 16;

/**
 * Marks where text was cut short (a check title, a log cut to its last characters, an overlong log line): a secret
 * cut there shows only in part, so the part next to the mark is hidden too.
 */
const CUT_BEFORE = ['…', ' [line cut]'];
const CUT_AFTER = ['…\n'];

/** Hides known secret values and GitHub tokens in text a user or a log will see. */
export class Redactor {
  /** Longest first, so a secret that contains another is replaced whole. */
  private readonly secrets: string[];

  constructor(secrets: Iterable<string> = []) {
    const known = new Set<string>();
    for (const secret of secrets) {
      // As written, percent-encoded (in a URL) and JSON-escaped (in a message that quotes it).
      for (const form of [secret, safeEncode(secret), JSON.stringify(secret).slice(1, -1)]) if (form.length >= MIN_SECRET_LENGTH) known.add(form);
    }
    this.secrets = [...known].sort((a, b) => b.length - a.length);
  }

  /** How many spellings of secrets it hides. */
  get size(): number {
    return this.secrets.length;
  }

  /** The text with every known secret, and every GitHub token, replaced by `***`. */
  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) {
      // `user:password@` keeps its `@`, so a redacted URL still reads as one.
      if (result.includes(secret)) result = result.split(secret).join(secret.endsWith('@') ? `${REDACTED}@` : REDACTED);
    }
    for (const pattern of TOKEN_PATTERNS) result = result.replace(pattern, REDACTED);
    return this.secrets.length > 0 ? this.redactCuts(result) : result;
  }

  /** The start of a secret right before a cut mark, and the end of one right after a leading cut mark. */
  private redactCuts(text: string): string {
    let result = text;
    for (const mark of CUT_BEFORE) {
      for (let at = result.indexOf(mark); at >= 0; at = result.indexOf(mark, at + 1)) {
        const kept = this.longestPart(result.slice(0, at), (secret, length) => secret.slice(0, length), (before, part) => before.endsWith(part));
        if (kept > 0) {
          result = `${result.slice(0, at - kept)}${REDACTED}${result.slice(at)}`;
          at = at - kept + REDACTED.length;
        }
      }
    }
    for (const mark of CUT_AFTER) {
      for (let at = result.indexOf(mark); at >= 0; at = result.indexOf(mark, at + 1)) {
        const start = at + mark.length;
        const kept = this.longestPart(result.slice(start), (secret, length) => secret.slice(secret.length - length), (after, part) => after.startsWith(part));
        if (kept > 0) result = `${result.slice(0, start)}${REDACTED}${result.slice(start + kept)}`;
      }
    }
    return result;
  }

  /** The length of the longest proper part (at least MIN_SECRET_LENGTH) of a secret that `fits` next to a cut. */
  private longestPart(next: string, part: (secret: string, length: number) => string, fits: (next: string, part: string) => boolean): number {
    let longest = 0;
    for (const secret of this.secrets) {
      for (let length = Math.min(secret.length - 1, next.length); length >= MIN_SECRET_LENGTH && length > longest; length -= 1) {
        if (fits(next, part(secret, length))) {
          longest = length;
          break;
        }
      }
    }
    return longest;
  }
}

/** Where the secrets of a run are known from. */
export interface RedactionSources {
  /**
   * The bot's (or the CLI's) environment: every value of a variable named like a secret (`WEBHOOK_SECRET`,
   * `PRIVATE_KEY`, line by line), the file `PRIVATE_KEY_PATH` names, passwords in URL values, and the registry
   * credentials of `$DOCKER_CONFIG/config.json`.
   */
  env: NodeJS.ProcessEnv;
  /** The build proxy, whose credentials may appear in script output. */
  proxy?: ProxySettings;
  /** The build's `env` from `.github/s2i.yml` or `--env`: values of names that look secret are hidden. */
  buildEnv?: Record<string, string>;
}

/**
 * The redactor of one run. Unreadable sources are skipped, not fatal: the step that needs them reports that. Registry
 * credentials that only a credential helper knows are not read here (that would run the helper for every registry).
 */
export async function loadRedactor(sources: RedactionSources): Promise<Redactor> {
  const secrets: string[] = [...proxySecrets(sources.proxy)];
  for (const [name, value] of Object.entries(sources.env)) {
    if (!value) continue;
    // `PRIVATE_KEY_PATH` names where the secret is, not the secret (its file is read below).
    if (SECRET_NAME.test(name) && !/_(PATH|FILE|DIR)$/i.test(name)) secrets.push(...secretForms(value));
    // A URL with credentials (a database or proxy URL) hides its password, whatever the variable is called.
    secrets.push(...proxySecrets({ httpProxy: value, httpsProxy: undefined, noProxy: undefined }));
  }
  for (const [name, value] of Object.entries(sources.buildEnv ?? {})) if (SECRET_NAME.test(name)) secrets.push(...secretForms(value));
  const [keyFile, registry] = await Promise.all([
    sources.env.PRIVATE_KEY_PATH ? readFile(sources.env.PRIVATE_KEY_PATH, 'utf8').catch(() => undefined) : undefined,
    registrySecrets(sources.env),
  ]);
  if (keyFile) secrets.push(...secretForms(keyFile));
  secrets.push(...registry);
  return new Redactor(secrets);
}

/** A value as written, with `\n` escapes read as newlines (as Probot reads PRIVATE_KEY), and each long line of it. */
function secretForms(value: string): string[] {
  const text = value.replace(/\\n/g, '\n');
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length >= MIN_PEM_LINE && !/^-----(BEGIN|END) /.test(line));
  return [value, text, ...lines];
}

/** Every credential of the docker CLI's config.json: `auth` (as stored and its password), passwords and tokens. */
async function registrySecrets(env: NodeJS.ProcessEnv): Promise<string[]> {
  let config: { auths?: Record<string, Record<string, unknown>> };
  try {
    config = JSON.parse(await readFile(dockerConfigPath(env), 'utf8')) as typeof config;
  } catch {
    return [];
  }
  const secrets: string[] = [];
  for (const entry of Object.values(config.auths ?? {})) {
    for (const key of ['auth', 'password', 'identitytoken', 'registrytoken']) {
      const value = entry?.[key];
      if (typeof value === 'string' && value !== '') secrets.push(value);
    }
    if (typeof entry?.auth === 'string') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      if (decoded.includes(':')) secrets.push(decoded, decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  return secrets;
}

function safeEncode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return value;
  }
}
