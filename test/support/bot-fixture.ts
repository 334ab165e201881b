/* eslint-disable @typescript-eslint/no-explicit-any -- webhook payloads and request bodies are free-form JSON, read by path in assertions */
/**
 * A bot under test with a fake engine (a successful S2I build, no Docker) and the GitHub calls of its flows as
 * named expectations, for tests of commands, pull requests and check requests through Probot over HTTP.
 *
 * The app repo is Codertocat/Hello-World (installation 1, as in `@octokit/webhooks-examples`), its config repo
 * Codertocat/cluster-config on `main`, with a policy that grants the app `apps/hello/**` in namespace `demo`.
 */
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { s2iBot } from '../../src/app.js';
import { CommitFileCache } from '../../src/gitops/commit-file-cache.js';
import type { AppDependencies } from '../../src/pipeline/commit-run.js';
import { ActiveRuns } from '../../src/queue/active-runs.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { loadBuildSettings } from '../../src/settings/build-settings.js';
import type { ContainerSummary, OutputStream, RunResult } from '../../src/docker/container-engine.js';
import { SucceedingEngine } from '../pipeline/succeeding-engine.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock, type RecordedRequest } from './github-api.js';
import { mockTarball } from './github-tarball.js';
import { startBot, type RunningBot } from './probot.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;

export const APP = '/repos/Codertocat/Hello-World';
export const CONFIG = '/repos/Codertocat/cluster-config';
export const BUILDER = 'registry.example.com/s2i/html:1';
export const IMAGE = 'registry.example.com/acme/hello';
export const POLICY = 'allow:\n  - repo: Codertocat/Hello-World\n    paths: ["apps/hello/**"]\n    namespaces: [demo]\n';
export const CONFIG_TEXT = [
  `builder: ${BUILDER}`,
  `image: ${IMAGE}`,
  'branches:',
  '  main: { environment: production }',
  'environments: [qa]',
  'deploy: { name: hello, namespace: demo }',
  'gitops: { repo: Codertocat/cluster-config, branch: main }',
  '',
].join('\n');

/** A commit SHA made of one repeated hex digit, e.g. `sha('a')`. */
export function sha(digit: string): string {
  return digit.repeat(40);
}

export function digestOf(digit: string): string {
  return `sha256:${digit.repeat(64)}`;
}

/** GitHub's own example payload of an event and action, moved to the app repo and installation 1. */
export function examplePayload<T = Record<string, unknown>>(event: string, action: string, change: (payload: Record<string, any>) => void = () => {}): T {
  const found = examples.find((entry) => entry.name === event)?.examples.find((example) => example.action === action && example.installation);
  if (!found) throw new Error(`no example of ${event}.${action}`);
  const payload = structuredClone(found) as Record<string, any>;
  const hello = examples.find((entry) => entry.name === 'push')?.examples.find((example) => (example as { installation?: unknown }).installation) as Record<string, any>;
  payload.repository = { ...hello.repository, default_branch: 'main' };
  payload.installation = { id: 1, node_id: hello.installation.node_id };
  change(payload);
  return payload as T;
}

/** GitHub's example push, moved to `branch` of the app repo with `after` as the pushed commit. */
export function pushPayload(after: string, branch = 'main'): Record<string, any> {
  const push = examples.find((entry) => entry.name === 'push')?.examples.find((example) => example.ref === 'refs/heads/master' && example.installation) as Record<string, any>;
  const payload = structuredClone(push);
  payload.ref = `refs/heads/${branch}`;
  payload.after = after;
  payload.head_commit = { ...payload.head_commit, id: after, message: 'Change the page' };
  payload.repository = { ...payload.repository, default_branch: 'main' };
  return payload;
}

/** The fake engine, with the images the registry has (for rollbacks and "already built"). */
export class FixtureEngine extends SucceedingEngine {
  readonly registry = new Map<string, string>();
  private held: Array<{ started: () => void; released: Promise<void> }> = [];

  /**
   * Holds the next build's `assemble` until `release()` (or until its run is cancelled): a build that is running.
   * `started` resolves when it is held.
   */
  hold(): { started: Promise<void>; release: () => void } {
    let started = () => {};
    let release = () => {};
    const startedPromise = new Promise<void>((resolve) => (started = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held.push({ started, released });
    return { started: startedPromise, release };
  }

  override async run(containerId: string, onOutput: (chunk: Buffer, stream: OutputStream) => void, timeoutMs: number, signal?: AbortSignal): Promise<RunResult> {
    const gate = this.held.shift();
    if (gate) {
      gate.started();
      await Promise.race([gate.released, new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve(), { once: true }))]);
      if (signal?.aborted) return { exitCode: 137, timedOut: false, cancelled: true };
    }
    return super.run(containerId, onOutput, timeoutMs, signal);
  }

  override async listContainers(): Promise<ContainerSummary[]> {
    return [];
  }

  constructor(digest = digestOf('d')) {
    super(BUILDER, digest);
  }

  override async registryDigest(reference: string): Promise<string | undefined> {
    this.calls.push(`registryDigest ${reference}`);
    return this.registry.get(reference);
  }
}

export interface BotFixture {
  bot: RunningBot;
  queue: RunQueue;
  active: ActiveRuns;
  engine: FixtureEngine;
  deliver(event: string, payload: unknown): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the app with the fixture engine; `deliver` posts a signed webhook and waits for everything it started. */
export async function startFixture(overrides: Partial<AppDependencies> = {}, concurrency = 1): Promise<BotFixture> {
  const queue = new RunQueue({ concurrency });
  const engine = new FixtureEngine();
  const active = new ActiveRuns();
  const bot = await startBot(
    s2iBot({
      engine,
      settings: loadBuildSettings({}),
      queue,
      env: { DOCKER_CONFIG: join(tmpdir(), `s2i-bot-no-docker-config-${randomBytes(6).toString('hex')}`) },
      checkRefreshMs: 60_000,
      commitFiles: new CommitFileCache(),
      active,
      ...overrides,
    }),
  );
  return {
    bot,
    queue,
    active,
    engine,
    async deliver(event, payload) {
      const response = await bot.deliver(event, payload);
      if (response.status !== 200) throw new Error(`the webhook was answered ${response.status}: ${await response.text()}`);
      await queue.onIdle();
    },
    stop: () => bot.stop(),
  };
}

/** What a test of the bot uses; fresh for every test. */
export interface FixtureContext {
  github: GitHubMock;
  flows: GitHubFlows;
  fixture: BotFixture;
  /** Checks the GitHub exchange so far and starts a new one (a test made of several deliveries). */
  nextExchange(): void;
}

/** Registers `beforeEach`/`afterEach` that start the bot and a GitHub mock, and check the mock after each test. */
export function useBotFixture(): FixtureContext {
  const context = {
    nextExchange() {
      assertGitHubDone(context.github);
      context.github = mockGitHub();
      context.flows = new GitHubFlows(context.github);
    },
  } as FixtureContext;
  beforeEach(async () => {
    context.github = mockGitHub();
    context.flows = new GitHubFlows(context.github);
    context.fixture = await startFixture();
  });
  afterEach(async () => {
    await context.fixture.stop();
    assertGitHubDone(context.github);
  });
  return context;
}

/** The GitHub calls of the bot's flows, added to a mock in the order they are expected. */
export class GitHubFlows {
  private nextCheck = 100;
  private nextComment = 500;

  constructor(readonly github: GitHubMock) {}

  token(): void {
    this.github.api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
  }

  /** `.github/s2i.yml` at a commit; null: there is none. */
  config(at: string, text: string | null = CONFIG_TEXT): void {
    const interceptor = this.github.api.get(`${APP}/contents/.github%2Fs2i.yml`).query({ ref: at });
    if (text === null) interceptor.reply(404, { message: 'Not Found' });
    else interceptor.reply(200, text);
  }

  /** The collaborator-permission answer for a user: GitHub's legacy `permission` beside the `role_name`. */
  role(user: string, role: string): void {
    const permission = role === 'maintain' ? 'write' : role === 'triage' ? 'read' : role;
    this.github.api.get(`${APP}/collaborators/${user}/permission`).reply(200, { permission, role_name: role, user: { login: user } });
  }

  reaction(commentId: number): void {
    this.github.api.post(`${APP}/issues/comments/${commentId}/reactions`, { content: 'eyes' }).reply(201, { id: 1, content: 'eyes' });
  }

  /** The reply comment: created once, then every later show edits it. Returns its id. */
  replyCreated(issue: number): number {
    const id = (this.nextComment += 1);
    this.github.api.post(`${APP}/issues/${issue}/comments`).reply(201, { id, html_url: `https://github.com/Codertocat/Hello-World/issues/${issue}#issuecomment-${id}` });
    return id;
  }

  replyEdited(id: number, times = 1): void {
    for (let index = 0; index < times; index += 1) this.github.api.patch(`${APP}/issues/comments/${id}`).reply(200, { id });
  }

  pullRequest(number: number, head: string, options: { fork?: boolean; ref?: string } = {}): void {
    this.github.api.get(`${APP}/pulls/${number}`).reply(200, {
      number,
      html_url: `https://github.com/Codertocat/Hello-World/pull/${number}`,
      head: { sha: head, ref: options.ref ?? 'changes', repo: { full_name: options.fork ? 'octocat/Hello-World' : 'Codertocat/Hello-World' } },
    });
  }

  branch(repo: string, name: string, head: string, tree = sha('7')): void {
    this.github.api.get(`${repo}/branches/${name}`).reply(200, { name, commit: { sha: head, commit: { tree: { sha: tree }, message: 'Update the page', author: { name: 'Ada', email: 'ada@example.com', date: '2026-11-01T10:00:00Z' } } } });
  }

  /** A check run created (in progress, or concluded at once); returns its id. */
  checkCreated(): number {
    const id = (this.nextCheck += 1);
    this.github.api.post(`${APP}/check-runs`).reply(201, { id, html_url: `https://github.com/Codertocat/Hello-World/runs/${id}` });
    return id;
  }

  checkUpdated(id: number): void {
    this.github.api.patch(`${APP}/check-runs/${id}`).reply(200, { id });
  }

  /** s2i/build of a commit with the fake engine: check, tarball, conclusion. */
  async build(at: string): Promise<void> {
    const id = this.checkCreated();
    await mockTarball(this.github, { owner: 'Codertocat', repo: 'Hello-World', sha: at, files: { 'index.html': '<p>hello</p>\n' } });
    this.checkUpdated(id);
  }

  /**
   * A deploy into the config repo: the Deployment and its in-progress status, the branch, the policy and pin
   * reads at its head (`reads: false` when the bot knows them from its own commit; `pin: false` when not read, as
   * in a rollback), the tree, commit and ref, the concluded s2i/deploy check and the Deployment's final status.
   */
  deploy(options: { head: string; commit: string; deployment: number; environment?: string; reads?: boolean; pin?: string | false; heldBack?: boolean }): void {
    const environment = options.environment ?? 'production';
    this.github.api.post(`${APP}/deployments`).reply(201, { id: options.deployment });
    this.github.api.post(`${APP}/deployments/${options.deployment}/statuses`, (body) => body.state === 'in_progress').reply(201, { id: 1 });
    this.branch(CONFIG, 'main', options.head);
    if (options.reads !== false) {
      this.github.api.get(`${CONFIG}/contents/.github%2Fs2i-policy.yml`).query({ ref: options.head }).reply(200, POLICY);
      if (options.pin !== false) {
        const interceptor = this.github.api.get(`${CONFIG}/contents/apps%2Fhello%2F${environment}%2Fs2i-pin.yaml`).query({ ref: options.head });
        if (options.pin === undefined) interceptor.reply(404, { message: 'Not Found' });
        else interceptor.reply(200, options.pin);
      }
    }
    if (!options.heldBack) {
      this.github.api.post(`${CONFIG}/git/trees`).reply(201, { sha: sha('8') });
      this.github.api.post(`${CONFIG}/git/commits`).reply(201, { sha: options.commit, html_url: `https://github.com/Codertocat/cluster-config/commit/${options.commit}` });
      this.github.api.patch(`${CONFIG}/git/refs/heads%2Fmain`).reply(200, { ref: 'refs/heads/main', object: { sha: options.commit } });
    }
    this.checkCreated();
    this.github.api.post(`${APP}/deployments/${options.deployment}/statuses`, (body) => body.state === (options.heldBack ? 'failure' : 'success')).reply(201, { id: 2 });
  }
}

/** The body of the only request with this method and path. */
export function bodyOf(github: GitHubMock, line: string, index = 0): any {
  const matching = github.requests.filter((candidate: RecordedRequest) => `${candidate.method} ${candidate.path}` === line);
  if (!matching[index]) throw new Error(`no request ${line} #${index}; saw:\n${requestLines(github).join('\n')}`);
  return matching[index].body;
}

/** Bodies of every request with this method and path, in order. */
export function bodiesOf(github: GitHubMock, line: string): any[] {
  return github.requests.filter((candidate: RecordedRequest) => `${candidate.method} ${candidate.path}` === line).map((request) => request.body);
}
