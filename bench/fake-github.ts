/**
 * GitHub for the push → deploy benchmark, in-process with nock: the API calls one deploy makes
 * (installation token, `.github/s2i.yml`, check runs, tarball, config repo through the Git Data API) and the
 * tarball download from codeload. Answers come at once, so the figures hold the bot's own time and no network
 * latency. Every request to api.github.com is recorded (from nock's `request` events) to count the calls.
 */
import { performance } from 'node:perf_hooks';
import nock from 'nock';

const API = 'https://api.github.com';
const CODELOAD = 'https://codeload.github.com';
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[?::1\]?)(:\d+)?$/;

export interface FakeGitHubOptions {
  /** The app repo, `owner/name`. */
  appRepo: string;
  /** Text of `.github/s2i.yml` at every commit added with {@link FakeGitHub.addCommit}. */
  configText: string;
  /** The config repo, `owner/name`; its default branch is `branch`. */
  configRepo: string;
  branch: string;
  /** Text of the config repo's `.github/s2i-policy.yml`. */
  policyText: string;
}

/** One request that reached api.github.com. */
export interface ApiRequest {
  /** `performance.now()` when nock took it. */
  at: number;
  method: string;
  /** Path as sent (percent-encoded), without the query. */
  path: string;
  /** `METHOD /path?query`. */
  line: string;
  body: unknown;
  /** The installation-token request, which Probot caches for up to an hour. */
  token: boolean;
  /** For check-run writes: which check, and the status and conclusion the request sets. */
  check?: { name: string; status?: string; conclusion?: string };
}

interface CheckRun {
  name: string;
}

type Reply = nock.ReplyFnResult;

/** A fake of the GitHub App's view of GitHub; `start()` intercepts, `stop()` restores the network. */
export class FakeGitHub {
  /** Every request to api.github.com, in order. */
  readonly requests: ApiRequest[] = [];
  /** `performance.now()` of every tarball download from codeload.github.com. */
  readonly downloads: number[] = [];
  /** Requests the fake could not answer (unknown route, unknown commit, another host), one line each. */
  readonly problems: string[] = [];
  /** Bodies of `POST /git/trees` on the config repo, in order. */
  readonly trees: Array<{ base_tree: string; tree: Array<{ path: string; content: string }> }> = [];

  private readonly archives = new Map<string, Buffer>();
  private readonly checks = new Map<number, CheckRun>();
  private readonly commits = new Map<string, string>();
  private head = { sha: hex(1), tree: hex(2) };
  private sequence = 10;
  private readonly onNoMatch = (...args: unknown[]) => this.noMatch(args);

  constructor(private readonly options: FakeGitHubOptions) {}

  /** Makes a commit of the app repo known: its config and its tarball (gzipped tar, one top-level folder). */
  addCommit(sha: string, archive: Buffer): void {
    this.archives.set(sha, archive);
  }

  start(): void {
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    // The bot's webhook server, the Docker socket and the registry are on loopback.
    nock.enableNetConnect(LOOPBACK);
    const api = nock(API).persist();
    for (const method of ['GET', 'POST', 'PATCH', 'PUT', 'DELETE']) {
      api.intercept(() => true, method).reply((uri, body) => this.answer(method, uri, body));
    }
    api.on('request', (req: { method: string; path: string }, _interceptor: unknown, bodyText: string) => this.record(req.method, req.path, bodyText));
    const codeload = nock(CODELOAD).persist();
    codeload.intercept(() => true, 'GET').reply((uri) => this.download(uri));
    nock.emitter.on('no match', this.onNoMatch);
  }

  stop(): void {
    nock.emitter.removeListener('no match', this.onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
    nock.restore();
  }

  private record(method: string, pathWithQuery: string, bodyText: string): void {
    const at = performance.now();
    const url = new URL(pathWithQuery, API);
    const verb = method.toUpperCase();
    const body = parseBody(bodyText);
    const request: ApiRequest = {
      at,
      method: verb,
      path: url.pathname,
      line: `${verb} ${url.pathname}${url.search}`,
      body,
      token: verb === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(url.pathname),
    };
    const checkPatch = /\/check-runs\/(\d+)$/.exec(url.pathname);
    const fields = (body ?? {}) as { name?: string; status?: string; conclusion?: string };
    if (verb === 'POST' && url.pathname === `/repos/${this.options.appRepo}/check-runs`) {
      request.check = { name: String(fields.name), status: fields.status, conclusion: fields.conclusion };
    } else if (verb === 'PATCH' && checkPatch) {
      // The id was handed out by the POST that created the check, which was answered before this request.
      request.check = { name: this.checks.get(Number(checkPatch[1]))?.name ?? '?', status: fields.status, conclusion: fields.conclusion };
    }
    this.requests.push(request);
  }

  private answer(method: string, pathWithQuery: string, body: unknown): Reply {
    const url = new URL(pathWithQuery, API);
    const path = decodeURIComponent(url.pathname);
    const ref = url.searchParams.get('ref');
    const { appRepo, configRepo, branch } = this.options;
    const route = `${method} ${path}`;

    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      return [201, { token: 'ghs_bench', expires_at: new Date(Date.now() + 3_600_000).toISOString() }];
    }
    if (route === `GET /repos/${appRepo}/contents/.github/s2i.yml` && ref && this.archives.has(ref)) return [200, this.options.configText];
    if (route === `POST /repos/${appRepo}/check-runs`) {
      const id = (this.sequence += 1);
      this.checks.set(id, { name: String((body as { name?: unknown }).name) });
      return [201, { id }];
    }
    const check = new RegExp(`^PATCH /repos/${escape(appRepo)}/check-runs/(\\d+)$`).exec(route);
    if (check && this.checks.has(Number(check[1]))) return [200, { id: Number(check[1]) }];
    const tarball = new RegExp(`^GET /repos/${escape(appRepo)}/tarball/([0-9a-f]{40})$`).exec(route);
    if (tarball && this.archives.has(tarball[1])) return [302, '', { location: `${CODELOAD}/${appRepo}/legacy.tar.gz/${tarball[1]}` }];

    if (route === `POST /repos/${appRepo}/deployments`) return [201, { id: (this.sequence += 1) }];
    if (new RegExp(`^POST /repos/${escape(appRepo)}/deployments/\\d+/statuses$`).test(route)) return [201, { id: (this.sequence += 1) }];

    if (route === `GET /repos/${configRepo}`) return [200, { full_name: configRepo, default_branch: branch }];
    if (route === `GET /repos/${configRepo}/branches/${branch}`) {
      return [200, { name: branch, commit: { sha: this.head.sha, commit: { tree: { sha: this.head.tree } } } }];
    }
    if (route === `GET /repos/${configRepo}/contents/.github/s2i-policy.yml` && ref === this.head.sha) return [200, this.options.policyText];
    // No environment is pinned.
    if (/^GET \/repos\/[^/]+\/[^/]+\/contents\/.+\/s2i-pin\.yaml$/.test(route) && route.startsWith(`GET /repos/${configRepo}/`) && ref === this.head.sha) return [404, { message: 'Not Found' }];
    if (route === `POST /repos/${configRepo}/git/trees`) {
      this.trees.push(body as FakeGitHub['trees'][number]);
      return [201, { sha: hex((this.sequence += 1)) }];
    }
    if (route === `POST /repos/${configRepo}/git/commits`) {
      const sha = hex((this.sequence += 1));
      this.commits.set(sha, String((body as { tree?: unknown }).tree));
      return [201, { sha, html_url: `https://github.com/${configRepo}/commit/${sha}` }];
    }
    if (route === `PATCH /repos/${configRepo}/git/refs/heads/${branch}`) {
      const { sha } = body as { sha: string };
      const tree = this.commits.get(sha);
      if (!tree) return this.unknown(method, pathWithQuery, 422, 'Object does not exist');
      this.head = { sha, tree };
      return [200, { ref: `refs/heads/${branch}`, object: { sha } }];
    }
    return this.unknown(method, pathWithQuery, 404, 'Not Found');
  }

  private download(pathWithQuery: string): Reply {
    const match = new RegExp(`^/${escape(this.options.appRepo)}/legacy\\.tar\\.gz/([0-9a-f]{40})$`).exec(pathWithQuery);
    const archive = match && this.archives.get(match[1]);
    if (!archive) {
      this.problems.push(`the fake GitHub has no tarball for GET ${CODELOAD}${pathWithQuery}`);
      return [404, 'Not Found'];
    }
    this.downloads.push(performance.now());
    return [200, archive, { 'content-type': 'application/x-gzip' }];
  }

  private unknown(method: string, pathWithQuery: string, status: number, message: string): Reply {
    this.problems.push(`the fake GitHub cannot answer ${method} ${API}${pathWithQuery} (answered ${status})`);
    return [status, { message }];
  }

  private noMatch(args: unknown[]): void {
    const [request, options] = args as [Record<string, unknown> | undefined, Record<string, unknown> | undefined];
    // Requests nock lets through to loopback (the Docker socket, the registry, the bot itself) also land here.
    if (options?.socketPath ?? request?.socketPath) return;
    const host = String(options?.host ?? request?.host ?? options?.hostname ?? request?.hostname ?? '');
    if (LOOPBACK.test(host)) return;
    this.problems.push(`request to another host: ${String(request?.method ?? options?.method ?? '?')} ${host}${String(request?.path ?? options?.path ?? '')}`);
  }
}

/** A fake 40-hex object id. */
function hex(n: number): string {
  return n.toString(16).padStart(40, '0');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
