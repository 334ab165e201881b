import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { s2iBot } from '../../src/app.js';
import { BUILD_CONTAINER_PREFIX } from '../../src/build/script-container.js';
import type { ContainerSummary } from '../../src/docker/container-engine.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { containerOwnerOf, type ContainerOwner } from '../../src/store/container-owner.js';
import { INTERRUPTED_TITLE } from '../../src/store/recover-runs.js';
import { RunStore } from '../../src/store/run-store.js';
import { APP, bodyOf, GitHubFlows } from '../support/bot-fixture.js';
import type { CrashChildMessage, CrashChildOptions } from '../support/crash-child.js';
import { buildTestBuilder, docker, engine, removeImages, testSettings, uniqueTag } from '../support/docker.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';
import { startBot, type RunningBot } from '../support/probot.js';
import { startRegistry, type TestRegistry } from '../support/registry.js';

const require = createRequire(import.meta.url);
const CHILD = fileURLToPath(new URL('../support/crash-child.ts', import.meta.url));
const CHECK_RUN_ID = 4242;
/** A commit no other test builds: its build containers are found by name. */
const SHA = randomBytes(20).toString('hex');
const CONTAINERS = `${BUILD_CONTAINER_PREFIX}${SHA}-`;
/** The commit's one source file. */
const PAGE = '<p>hello</p>';
/** What assemble prints once it runs, with the commit's source in place. */
const ASSEMBLING = `assembling ${PAGE}`;

/**
 * ESM hooks that let node load the TypeScript sources as jest does (swc strips the types; `./x.js` imports find
 * `./x.ts`), so the killed process runs the same code as the test, not an earlier build of it.
 */
function typeScriptHooks(): string {
  const swc = pathToFileURL(require.resolve('@swc/core')).href;
  const hooks = `
    import { readFile } from 'node:fs/promises';
    import { fileURLToPath } from 'node:url';
    import swc from ${JSON.stringify(swc)};
    export async function resolve(specifier, context, next) {
      try {
        return await next(specifier, context);
      } catch (error) {
        if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\\.{1,2}\\/.*\\.js$/.test(specifier)) throw error;
        return next(specifier.slice(0, -3) + '.ts', context);
      }
    }
    export async function load(url, context, next) {
      if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
      const filename = fileURLToPath(url);
      const { code } = await swc.transform(await readFile(filename, 'utf8'), {
        filename, sourceMaps: 'inline', jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'es6' },
      });
      return { format: 'module', source: code, shortCircuit: true };
    }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return `data:text/javascript,${encodeURIComponent(register)}`;
}

/** The bot process to kill, and what it said. */
interface Child {
  process: ChildProcess;
  messages: CrashChildMessage[];
  /** Its stdout and stderr so far, for failure messages. */
  output(): string;
}

function startChild(options: CrashChildOptions, tempDir: string): Child {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tempDir };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', typeScriptHooks(), CHILD, JSON.stringify(options)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const messages: CrashChildMessage[] = [];
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.on('message', (message) => messages.push(message as CrashChildMessage));
  return { process: child, messages, output: () => output };
}

/**
 * Waits until the run's build container runs assemble (it has printed `ASSEMBLING`); fails at once when the child
 * ended or said it failed.
 */
async function runningBuildContainer(child: Child, timeoutMs = 40_000): Promise<ContainerSummary & { owner: ContainerOwner }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const failed = child.messages.find((message) => message.kind === 'failed');
    if (failed || child.process.exitCode !== null) throw new Error(`the bot process ended before its build ran: ${failed?.error ?? ''}\n${child.output()}`);
    for (const container of await engine.listContainers(CONTAINERS)) {
      const owner = containerOwnerOf(container.name);
      if (!owner || container.state !== 'running') continue;
      const logs = (await docker.getContainer(container.id).logs({ stdout: true, stderr: true, follow: false })) as Buffer;
      if (logs.toString('utf8').includes(ASSEMBLING)) return { ...container, owner };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no build container of ${SHA} ran within ${timeoutMs} ms; the bot said: ${JSON.stringify(child.messages)}\n${child.output()}`);
}

/** What GitHub had seen from the child when it was killed. */
function childExchange(child: Child): Extract<CrashChildMessage, { kind: 'github' }> {
  const reports = child.messages.filter((message): message is Extract<CrashChildMessage, { kind: 'github' }> => message.kind === 'github');
  return reports.at(-1) ?? { kind: 'github', requests: [], problems: [], unmatched: [] };
}

describe('src/store/recover-runs (a bot killed with SIGKILL during assemble, then restarted)', () => {
  let registry: TestRegistry;
  let dir: string;
  let builder: string;
  let child: Child | undefined;
  let store: RunStore | undefined;
  let bot: RunningBot | undefined;
  let github: GitHubMock | undefined;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = await mkdtemp(join(tmpdir(), 's2i-bot-crash-'));
    // assemble outlives the test: the build is always under way when the bot is killed.
    builder = await buildTestBuilder(
      `s2i-bot-test/crash-builder:${uniqueTag()}`,
      { assemble: '#!/bin/sh\necho "assembling $(cat /tmp/src/index.html)"\nexec sleep 60\n', run: '#!/bin/sh\nexec cat /tmp/src/index.html\n' },
      ['LABEL io.openshift.s2i.scripts-url=image:///usr/libexec/s2i', 'USER 1001'],
    );
  }, 30_000);

  afterEach(() => {
    if (github) assertGitHubDone(github);
  });

  // Every step runs even when an earlier one (or the set-up) failed.
  afterAll(async () => {
    if (child && child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    const steps: Array<() => unknown> = [
      () => bot?.stop(),
      () => store?.close(),
      async () => {
        for (const container of await engine.listContainers(CONTAINERS)) await engine.removeContainer(container.id);
      },
      () => (builder ? removeImages(builder) : undefined),
      () => registry?.stop(),
      () => (dir ? rm(dir, { recursive: true, force: true }) : undefined),
    ];
    const failures: unknown[] = [];
    for (const step of steps) await Promise.resolve().then(step).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw new AggregateError(failures, 'clean-up failed');
  });

  it('concludes the killed run: s2i/build fails as interrupted, the run is failed and its orphan container removed', async () => {
    const storePath = join(dir, 'data', 's2i-bot.db');
    const image = `${registry.address}/crash/hello`;
    child = startChild(
      {
        storePath,
        sha: SHA,
        config: `builder: ${builder}\nimage: ${image}\ndeploy: { name: hello, namespace: demo }\ngitops: { repo: Codertocat/cluster-config, branch: main }\n`,
        checkRunId: CHECK_RUN_ID,
        files: { 'index.html': `${PAGE}\n` },
        dockerConfig: join(dir, 'docker-config'),
      },
      dir,
    );
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child?.process.once('exit', (_code, signal) => resolve(signal)));
    const container = await runningBuildContainer(child);

    process.kill(child.process.pid as number, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');

    // What the dead bot left: a check in progress on GitHub, a live run in the store, a running build container.
    const killed = childExchange(child);
    expect(killed.requests.map((request) => request.line)).toEqual([
      'POST /app/installations/1/access_tokens',
      `GET ${APP}/contents/.github%2Fs2i.yml?ref=${SHA}`,
      `POST ${APP}/check-runs`,
      `GET ${APP}/tarball/${SHA}`,
    ]);
    expect(killed.requests[2].body).toMatchObject({ name: 's2i/build', head_sha: SHA, status: 'in_progress' });
    expect([...killed.problems, ...killed.unmatched]).toEqual([]);
    expect(child.messages).toContainEqual({ kind: 'delivered', status: 200 });
    store = RunStore.open({ path: storePath });
    expect(container.owner.instance).toBe(store.instance);
    expect(store.inFlight()).toEqual([
      expect.objectContaining({ id: container.owner.runId, repo: 'Codertocat/Hello-World', sha: SHA, environment: 'production', state: 'building', buildCheckRunId: CHECK_RUN_ID }),
    ]);
    expect((await engine.listContainers(CONTAINERS)).map((left) => [left.id, left.state])).toEqual([[container.id, 'running']]);

    github = mockGitHub();
    const flows = new GitHubFlows(github);
    flows.token();
    flows.checkUpdated(CHECK_RUN_ID);
    const queue = new RunQueue({ concurrency: 1 });

    bot = await startBot(s2iBot({ engine, settings: testSettings(), queue, store, env: { DOCKER_CONFIG: join(dir, 'docker-config') }, checkRefreshMs: 60_000, recoverOnStart: true }));
    await queue.onIdle();

    expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `PATCH ${APP}/check-runs/${CHECK_RUN_ID}`]);
    expect(bodyOf(github, `PATCH ${APP}/check-runs/${CHECK_RUN_ID}`)).toMatchObject({
      status: 'completed',
      conclusion: 'failure',
      output: { title: INTERRUPTED_TITLE, summary: expect.stringContaining('while this run was building') },
    });
    expect(await engine.listContainers(CONTAINERS)).toEqual([]);
    expect(store.get(container.owner.runId)).toMatchObject({ state: 'failed', error: `${INTERRUPTED_TITLE}: the bot restarted` });
    expect(store.inFlight()).toEqual([]);
  }, 60_000);
});
