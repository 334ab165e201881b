import { Writable } from 'node:stream';
import { pino } from 'pino';
import { s2iBot } from '../../src/app.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { assertGitHubDone, mockGitHub, type GitHubMock } from '../support/github-api.js';
import { startBot, type RunningBot } from '../support/probot.js';
import { CONFIG, expectConfig, expectConfigRead, expectFailedBuildCheck, MissingBuilderEngine, PUSH, SHA } from './push-run-fixture.js';

interface LogLine {
  msg: string;
  name?: string;
  runId?: string;
  delivery?: string;
  repo?: string;
  sha?: string;
  [field: string]: unknown;
}

/** Every JSON line pino writes, parsed. */
class LogCapture extends Writable {
  readonly lines: LogLine[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    for (const text of chunk.toString().split('\n')) if (text.trim()) this.lines.push(JSON.parse(text) as LogLine);
    done();
  }
}

describe('metrics/run-logger', () => {
  let github: GitHubMock;
  let bot: RunningBot | undefined;

  beforeEach(() => {
    github = mockGitHub();
  });

  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
    assertGitHubDone(github);
  });

  it('gives every line a run logs, its GitHub requests included, the runId, delivery, repo and sha', async () => {
    expectConfigRead(github, CONFIG);
    expectFailedBuildCheck(github, 31);
    const capture = new LogCapture();
    const queue = new RunQueue({ concurrency: 1 });
    bot = await startBot(s2iBot({ engine: new MissingBuilderEngine(), settings: loadEngineSettings({}), queue, env: {}, checkRefreshMs: 60_000 }), {
      log: pino({ level: 'debug' }, capture),
    });
    const before = capture.lines.length;

    await bot.deliver('push', PUSH, { delivery: 'delivery-of-the-run' });
    await queue.onIdle();

    // Probot logs every delivery before a handler sees it ("push event received") and answers it (name "http"):
    // those lines belong to the delivery, not to a run. Everything else from here on was logged by the run.
    const runLines = capture.lines.slice(before).filter((line) => line.name !== 'http' && !line.msg.endsWith('event received (id: delivery-of-the-run)'));
    const runIds = new Set(runLines.map((line) => line.runId));
    expect(runLines.map((line) => line.msg)).toEqual(
      expect.arrayContaining([
        'push queued',
        'GitHub request: POST https://api.github.com/app/installations/1/access_tokens - 201',
        expect.stringMatching(/^GitHub request: GET https:\/\/api\.github\.com\/repos\/Codertocat\/Hello-World\/contents\/.*- 200$/),
        expect.stringMatching(/^GitHub request: PATCH .*\/check-runs\/31 - 200$/),
        'Using builder registry.example.com/s2i/html:1',
        'run finished',
      ]),
    );
    for (const line of runLines) expect(line).toMatchObject({ runId: expect.any(String), delivery: 'delivery-of-the-run', repo: 'Codertocat/Hello-World', sha: SHA });
    expect(runIds.size).toBe(1);
  });

  it('gives each queued run its own runId', async () => {
    expectConfigRead(github, undefined);
    expectConfig(github, undefined);
    const capture = new LogCapture();
    const queue = new RunQueue({ concurrency: 1 });
    bot = await startBot(s2iBot({ engine: new MissingBuilderEngine(), settings: loadEngineSettings({}), queue, env: {}, checkRefreshMs: 60_000 }), {
      log: pino({ level: 'info' }, capture),
    });

    await bot.deliver('push', PUSH, { delivery: 'first' });
    await bot.deliver('push', PUSH, { delivery: 'second' });
    await queue.onIdle();

    const queued = capture.lines.filter((line) => line.msg === 'push queued');
    expect(queued.map((line) => line.delivery)).toEqual(['first', 'second']);
    expect(queued[0].runId).not.toBe(queued[1].runId);
  });
});
