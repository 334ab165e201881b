/**
 * The bot as `npm start` runs it, in a child process of the benchmark (`dist/src/main.js`, production Octokit,
 * JSON logs), talking to a fake GitHub that is a real HTTP server on loopback (GitHub Enterprise settings
 * `GHE_HOST`/`GHE_PROTOCOL` point the bot at it). The benchmark process plays GitHub and the webhook sender; the
 * child's CPU time and memory are the bot's own. Used by bench/webhooks.ts and bench/memory.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { closeSync, createReadStream, createWriteStream, openSync, readFileSync, readSync } from 'node:fs';
import { createServer, request as httpRequest, Agent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGzip } from 'node:zlib';
import type { PushPayload } from '../src/events/push-event.js';
import type { DockerEngine } from '../src/docker/docker-engine.js';
import { packDirectory } from '../src/source/pack-directory.js';
import { BenchError, projectRoot } from './bench-support.js';
import { FakeGitData } from './fake-git-data.js';

const WEBHOOK_SECRET = 'bench-webhook-secret';
const API_PREFIX = '/api/v3';

export interface FakeGitHubServerOptions {
  /** `owner/name` of the app repo the pushes come from. */
  appRepo: string;
  /** The config repo deploys write to (none: a deploy finds no such repo). */
  configRepo?: { repo: string; branch: string; policyText: string };
}

/** A check-run write as it reached the fake. */
export interface CheckEvent {
  at: number;
  name: string;
  sha: string;
  status?: string;
  conclusion?: string;
}

/**
 * GitHub for a bot in another process: an HTTP server on 127.0.0.1 answering what a push run asks for. Commits
 * added with `addCommit` have a `.github/s2i.yml` and a tarball; every other commit has no config (404), so its
 * run ends after one request. Emits `check` (CheckEvent) and `download` (sha) as they happen.
 */
export class FakeGitHubServer extends EventEmitter {
  /** Requests it could not answer, one line each; a benchmark that sees one is broken. */
  readonly problems: string[] = [];
  /** Requests per route kind, for the report. */
  readonly counts = { token: 0, config: 0, configMissing: 0, checks: 0, tarballs: 0, configRepo: 0, deployments: 0 };
  private readonly server: Server;
  private readonly commits = new Map<string, { config: string; archive: string }>();
  private readonly checks = new Map<number, { name: string; sha: string }>();
  private readonly gitData: FakeGitData | undefined;
  private sequence = 100;
  private rateLimit = 5000;

  constructor(private readonly options: FakeGitHubServerOptions) {
    super();
    const config = options.configRepo;
    this.gitData = config && new FakeGitData({ repo: config.repo, branch: config.branch, files: { '.github/s2i-policy.yml': config.policyText } });
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.problems.push(`${request.method} ${request.url}: ${(error as Error).message}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  /** `127.0.0.1:<port>`, for GHE_HOST. */
  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A commit with this config, whose tarball is the gzipped tar file `archive`. */
  addCommit(sha: string, config: string, archive: string): void {
    this.commits.set(sha, { config, archive });
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', `http://${this.host}`);
    const method = request.method ?? 'GET';
    const body = method === 'GET' ? undefined : await readJson(request);
    const { appRepo } = this.options;
    const download = new RegExp(`^/codeload/${escape(appRepo)}/legacy\\.tar\\.gz/([0-9a-f]{40})$`).exec(url.pathname);
    if (method === 'GET' && download && this.commits.has(download[1])) {
      this.counts.tarballs += 1;
      this.emit('download', download[1]);
      response.writeHead(200, { 'content-type': 'application/x-gzip' });
      await pipeline(createReadStream((this.commits.get(download[1]) as { archive: string }).archive), response);
      return;
    }
    if (!url.pathname.startsWith(API_PREFIX)) return this.reply(response, 404, { message: 'Not Found' }, `${method} ${url.pathname}`);
    const apiPath = url.pathname.slice(API_PREFIX.length);
    const path = decodeURIComponent(apiPath);
    const route = `${method} ${path}`;
    const ref = url.searchParams.get('ref') ?? '';

    if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
      this.counts.token += 1;
      return this.reply(response, 201, { token: 'ghs_bench', expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    }
    if (route === `GET /repos/${appRepo}/contents/.github/s2i.yml`) {
      const commit = this.commits.get(ref);
      if (!commit) {
        this.counts.configMissing += 1;
        return this.reply(response, 404, { message: 'Not Found' });
      }
      this.counts.config += 1;
      return this.reply(response, 200, commit.config);
    }
    if (route === `POST /repos/${appRepo}/check-runs`) {
      const { name, head_sha: sha, status, conclusion } = body as { name: string; head_sha: string; status?: string; conclusion?: string };
      const id = (this.sequence += 1);
      this.checks.set(id, { name, sha });
      this.counts.checks += 1;
      this.emit('check', { at: performance.now(), name, sha, status, conclusion } satisfies CheckEvent);
      return this.reply(response, 201, { id, html_url: `https://github.com/${appRepo}/runs/${id}` });
    }
    const checkUpdate = new RegExp(`^PATCH /repos/${escape(appRepo)}/check-runs/(\\d+)$`).exec(route);
    const check = checkUpdate && this.checks.get(Number(checkUpdate[1]));
    if (check) {
      const { status, conclusion } = body as { status?: string; conclusion?: string };
      this.counts.checks += 1;
      this.emit('check', { at: performance.now(), ...check, status, conclusion } satisfies CheckEvent);
      return this.reply(response, 200, { id: Number((checkUpdate as RegExpExecArray)[1]) });
    }
    const tarball = new RegExp(`^GET /repos/${escape(appRepo)}/tarball/([0-9a-f]{40})$`).exec(route);
    if (tarball && this.commits.has(tarball[1])) {
      response.writeHead(302, { location: `http://${this.host}/codeload/${appRepo}/legacy.tar.gz/${tarball[1]}`, 'x-ratelimit-remaining': String(this.nextRateLimit()) });
      response.end();
      return;
    }
    if (route === `POST /repos/${appRepo}/deployments`) {
      this.counts.deployments += 1;
      return this.reply(response, 201, { id: (this.sequence += 1) });
    }
    if (new RegExp(`^POST /repos/${escape(appRepo)}/deployments/\\d+/statuses$`).test(route)) {
      this.counts.deployments += 1;
      return this.reply(response, 201, { id: (this.sequence += 1) });
    }
    const answer = this.gitData?.answer(method, `${apiPath}${url.search}`, body);
    if (answer) {
      this.counts.configRepo += 1;
      const [status, payload] = answer;
      // A pin file the environment does not have is a 404 the bot expects; any other 404 is a route this fake lacks.
      const expected = status !== 404 || path.startsWith(`/repos/${this.options.configRepo?.repo}/contents/`);
      return this.reply(response, status, payload, expected ? undefined : route);
    }
    return this.reply(response, 404, { message: 'Not Found' }, route);
  }

  private reply(response: ServerResponse, status: number, body: unknown, problem?: string): void {
    if (problem) this.problems.push(`the fake GitHub cannot answer ${problem} (answered ${status})`);
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
      'x-ratelimit-remaining': String(this.nextRateLimit()),
    });
    response.end(text);
  }

  private nextRateLimit(): number {
    this.rateLimit = this.rateLimit > 0 ? this.rateLimit - 1 : 5000;
    return this.rateLimit;
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Packs `dir` (one top-level folder inside, as GitHub's tarballs have) into a gzipped tar file. */
export async function writeTarball(dir: string, file: string, level = 6): Promise<void> {
  await pipeline(packDirectory(dir), createGzip({ level }), createWriteStream(file));
}

// ---------------------------------------------------------------------------------------------------------
// The bot process

/** A JSON log line of the bot, as far as the benchmarks read it. */
export interface BotLogLine {
  level: number;
  msg: string;
  sha?: string;
  ok?: boolean;
  timings?: Record<string, number>;
}

interface LogWaiter {
  needle: string;
  match: (line: BotLogLine) => boolean;
  resolve: (line: BotLogLine) => void;
}

/**
 * The bot in its child process: its address, its log, and a webhook sender over keep-alive connections. The bot
 * logs into a file, as it would under a container runtime: a pipe to this (busy) process would slow its writes
 * down, and the bot with them. The file is read every 100 ms.
 */
export class BotProcess {
  /** Error and fatal lines of the bot's log (and of its stderr), one line each. */
  readonly errors: string[] = [];
  private readonly waiters: LogWaiter[] = [];
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly reader: NodeJS.Timeout;
  private readonly logFd: number;
  private readonly decoder = new StringDecoder('utf8');
  private offset = 0;
  private rest = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    logFile: string,
  ) {
    this.logFd = openSync(logFile, 'r');
    this.reader = setInterval(() => this.readLog(), 100);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (stderr + chunk).split('\n');
      stderr = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.errors.push(`stderr: ${line}`);
    });
    // The bot must not outlive the benchmark, however that ends.
    const kill = () => child.kill('SIGKILL');
    process.once('exit', kill);
    child.on('exit', () => {
      this.exited = true;
      process.off('exit', kill);
    });
  }

  /**
   * Starts `dist/src/main.js` with a fresh App key, pointed at `github`, on a free loopback port, logging into
   * `logFile`; resolves once `/readyz` answers 200 (the Docker engine answers too). `env` adds to the benchmark's
   * own environment.
   */
  static async start(github: FakeGitHubServer, logFile: string, env: Record<string, string> = {}): Promise<BotProcess> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const port = await freePort();
    const log = openSync(logFile, 'w');
    // The same V8 flag as `npm start` and the image: a small young generation keeps the peak RSS down.
    const child = spawn(process.execPath, ['--max-semi-space-size=2', join(projectRoot(), 'dist', 'src', 'main.js')], {
      cwd: projectRoot(),
      stdio: ['ignore', log, 'pipe'],
      env: {
        ...process.env,
        APP_ID: '1',
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET,
        HOST: '127.0.0.1',
        PORT: String(port),
        GHE_HOST: github.host,
        GHE_PROTOCOL: 'http',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        NODE_ENV: 'production',
        ...env,
      },
    });
    closeSync(log);
    const bot = new BotProcess(child, port, logFile);
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      if (bot.exited) throw new BenchError(`the bot exited at start:\n${bot.errors.join('\n')}`);
      const status = await bot.get('/readyz').then(
        (answer) => answer.status,
        () => 0,
      );
      if (status === 200) return bot;
      await sleep(100);
    }
    await bot.stop();
    throw new BenchError(`the bot was not ready within 30 s (GET /readyz): ${bot.errors.join('\n') || 'no error logged'}`);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Posts a signed webhook over a keep-alive connection; resolves with the HTTP status once the answer ended. */
  deliver(event: string, webhook: SignedWebhook, delivery: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          path: '/api/github/webhooks',
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': webhook.body.length,
            'x-github-event': event,
            'x-github-delivery': delivery,
            'x-hub-signature-256': webhook.signature,
          },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(webhook.body);
    });
  }

  /** GET a path of the bot's server (`/metrics`, `/readyz`). */
  async get(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`http://127.0.0.1:${this.port}${path}`);
    return { status: response.status, text: await response.text() };
  }

  /** A metric's value from `GET /metrics`, by its exposition name with labels (`s2i_bot_queue_depth`). */
  async metric(series: string): Promise<number | undefined> {
    const { text } = await this.get('/metrics');
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  }

  /** Resolves with the first log line from now on that contains `needle` and satisfies `match`. */
  waitForLog(needle: string, match: (line: BotLogLine) => boolean, timeoutMs: number): Promise<BotLogLine> {
    return new Promise((resolve, reject) => {
      const waiter: LogWaiter = {
        needle,
        match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new BenchError(`the bot logged no "${needle}" within ${timeoutMs / 1000} s${this.errors.length ? `; errors:\n${this.errors.join('\n')}` : ''}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The kernel's view of the process's memory: resident now and at its highest (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; hwm: number } {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const killed = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killed);
    }
    clearInterval(this.reader);
    this.readLog();
    closeSync(this.logFd);
  }

  /** Takes the lines the bot appended since the last read. */
  private readLog(): void {
    const chunk = Buffer.alloc(1 << 20);
    for (;;) {
      const read = readSync(this.logFd, chunk, 0, chunk.length, this.offset);
      if (read === 0) return;
      this.offset += read;
      const lines = (this.rest + this.decoder.write(chunk.subarray(0, read))).split('\n');
      this.rest = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    }
  }

  private take(line: string): void {
    // Most lines are the server's request log: parse only what someone waits for, and errors.
    const error = line.includes('"level":50') || line.includes('"level":60');
    const waiting = this.waiters.filter((waiter) => line.includes(waiter.needle));
    if (!error && waiting.length === 0) return;
    let entry: BotLogLine;
    try {
      entry = JSON.parse(line) as BotLogLine;
    } catch {
      return;
    }
    if (entry.level >= 50) this.errors.push(entry.msg);
    for (const waiter of waiting) {
      if (!waiter.match(entry)) continue;
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(entry);
    }
  }
}

/** A webhook body and its `x-hub-signature-256`. */
export interface SignedWebhook {
  body: Buffer;
  signature: string;
}

/** GitHub's example push (`@octokit/webhooks-examples`) moved to commit `sha`, signed with the bot's secret. */
export function signedPush(template: PushPayload, sha: string): SignedWebhook {
  const head = template.head_commit as NonNullable<PushPayload['head_commit']>;
  const body = Buffer.from(JSON.stringify({ ...template, after: sha, head_commit: { ...head, id: sha, message: 'Benchmark commit' } }));
  return { body, signature: `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}` };
}

/** Removes the images a run pushed: locally and their manifests in the registry. Problems are printed, not thrown. */
export async function removePushedImages(engine: DockerEngine, registry: string, references: string[]): Promise<void> {
  for (const reference of references) {
    const tag = reference.slice(reference.lastIndexOf(':') + 1);
    const name = reference.slice(registry.length + 1, reference.lastIndexOf(':'));
    const manifests = `http://${registry}/v2/${name}/manifests/`;
    const digest = await fetch(`${manifests}${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } }).then(
      (response) => (response.ok ? response.headers.get('docker-content-digest') : null),
      () => null,
    );
    if (digest) await fetch(`${manifests}${digest}`, { method: 'DELETE' }).catch(() => undefined);
    await engine.docker
      .getImage(reference)
      .remove()
      .catch((error: { statusCode?: number; message: string }) => {
        if (error.statusCode !== 404) console.error(`clean-up: ${error.message}`);
      });
  }
}

/** A TCP port nothing listens on right now, on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
