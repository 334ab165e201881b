/**
 * A bot process for a test to kill: the real app, the real Docker engine and a run store file, with GitHub faked
 * inside this process (nock intercepts only the process it runs in). It delivers itself one signed push of
 * Codertocat/Hello-World over HTTP and builds it until the test sends SIGKILL; it never ends by itself.
 *
 * Run: `node --import <hooks that load TypeScript> crash-child.ts '<CrashChildOptions as JSON>'` with an IPC
 * channel (`stdio: [..., 'ipc']`). It sends `CrashChildMessage`s: `github` after every GitHub request (what
 * GitHub saw so far), `delivered` with the webhook's answer, `failed` when it could not start. It exits when the
 * test process goes away, so it cannot outlive it.
 *
 * GitHub answers: the installation token, `.github/s2i.yml` at the commit (`options.config`), the `s2i/build`
 * check run created with id `options.checkRunId`, and the commit's tarball. Anything else is recorded as unmatched.
 */
import nock from 'nock';
import { RunQueue } from '../../src/queue/run-queue.js';
import { RunStore } from '../../src/store/run-store.js';
import { s2iBot } from '../../src/app.js';
import { engine, testSettings } from './docker.js';

/** What the test tells the child, as one JSON argument. */
export interface CrashChildOptions {
  /** The run store file. */
  storePath: string;
  /** The pushed commit (to `main`, the default branch). */
  sha: string;
  /** `.github/s2i.yml` at the commit. */
  config: string;
  /** The id GitHub gives the `s2i/build` check run. */
  checkRunId: number;
  /** The source files in the commit's tarball. */
  files: Record<string, string>;
  /** `DOCKER_CONFIG` of the bot: where registry credentials would be. */
  dockerConfig: string;
}

/** A GitHub request the child's bot made: `"METHOD /path?query"` and its JSON body. */
export interface ChildRequest {
  line: string;
  body: unknown;
}

/** What the child tells the test. */
export type CrashChildMessage =
  | { kind: 'github'; requests: ChildRequest[]; problems: string[]; unmatched: string[] }
  | { kind: 'delivered'; status: number }
  | { kind: 'failed'; error: string };

const send = (message: CrashChildMessage) => process.send?.(message);

// Without the test process nobody would ever kill this one.
process.on('disconnect', () => process.exit(1));

try {
  const options = JSON.parse(process.argv[2] ?? '') as CrashChildOptions;
  // github-api registers a jest afterAll hook when imported; there is no jest here, and nothing to undo at exit.
  Object.assign(globalThis, { afterAll: () => undefined });
  const { mockGitHub, requestLines } = await import('./github-api.js');
  const { mockTarball } = await import('./github-tarball.js');
  const { APP, GitHubFlows, pushPayload } = await import('./bot-fixture.js');
  const { startBot } = await import('./probot.js');

  const github = mockGitHub();
  const flows = new GitHubFlows(github);
  flows.token();
  flows.config(options.sha, options.config);
  github.api.post(`${APP}/check-runs`).reply(201, { id: options.checkRunId, html_url: `https://github.com/Codertocat/Hello-World/runs/${options.checkRunId}` });
  await mockTarball(github, { owner: 'Codertocat', repo: 'Hello-World', sha: options.sha, files: options.files });
  // The mock records a request in its own listener first; the message is sent once that is done.
  const report = () =>
    setImmediate(() => {
      const lines = requestLines(github);
      send({ kind: 'github', requests: github.requests.map((request, index) => ({ line: lines[index], body: request.body })), problems: github.problems, unmatched: github.unmatched });
    });
  github.api.on('request', report);
  nock.emitter.on('no match', report);

  const store = RunStore.open({ path: options.storePath });
  const queue = new RunQueue({ concurrency: 1 });
  const bot = await startBot(s2iBot({ engine, settings: testSettings(), queue, store, env: { DOCKER_CONFIG: options.dockerConfig }, checkRefreshMs: 60_000 }));
  const response = await bot.deliver('push', pushPayload(options.sha));
  send({ kind: 'delivered', status: response.status });
} catch (error) {
  const failed: CrashChildMessage = { kind: 'failed', error: (error as Error).stack ?? String(error) };
  console.error(failed.error);
  // The message must have left before the process does.
  if (process.send) process.send(failed, () => process.exit(1));
  else process.exit(1);
}
