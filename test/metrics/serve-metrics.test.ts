import { s2iBot } from '../../src/app.js';
import type { ContainerEngine } from '../../src/docker/container-engine.js';
import { BotMetrics } from '../../src/metrics/bot-metrics.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';
import { sign, startBot, type RunningBot } from '../support/probot.js';
import { UnusedEngine } from '../support/unused-engine.js';
import { APP_REPO, CONFIG, expectConfigRead, expectFailedBuildCheck, MissingBuilderEngine, PUSH, SHA } from './push-run-fixture.js';

const TOKEN_AND_CONFIG = ['POST /app/installations/1/access_tokens', `GET ${APP_REPO}/contents/.github%2Fs2i.yml?ref=${SHA}`];

describe('metrics/serve-metrics', () => {
  let github: GitHubMock;
  let bot: RunningBot | undefined;
  let queue: RunQueue;

  beforeEach(() => {
    github = mockGitHub();
    queue = new RunQueue({ concurrency: 1 });
  });

  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
    assertGitHubDone(github);
  });

  async function start(options: { engine?: ContainerEngine; metrics?: BotMetrics } = {}): Promise<RunningBot> {
    const metrics = 'metrics' in options ? options.metrics : new BotMetrics({ queue });
    bot = await startBot(s2iBot({ engine: options.engine ?? new UnusedEngine('metrics'), settings: loadEngineSettings({}), queue, env: {}, checkRefreshMs: 60_000, metrics }));
    return bot;
  }

  /** GET /metrics: the exposition's lines. */
  async function scrape(running: RunningBot): Promise<string[]> {
    const response = await fetch(`${running.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return (await response.text()).split('\n');
  }

  it('counts a signed push as received, and an unsigned and a wrongly signed one as refused for their signature', async () => {
    expectConfigRead(github, undefined);
    const running = await start();

    const signed = await running.deliver('push', PUSH);
    const unsigned = await running.deliver('push', PUSH, { signature: null });
    const forged = await running.deliver('push', PUSH, { signature: sign(JSON.stringify(PUSH), 'another-secret') });
    await queue.onIdle();
    const lines = await scrape(running);

    expect([signed.status, unsigned.status, forged.status]).toEqual([200, 400, 400]);
    expect(lines).toContain('s2i_bot_webhooks_received_total{event="push"} 1');
    expect(lines).toContain('s2i_bot_webhooks_rejected_total{reason="signature"} 2');
    expect(lines).toContain('s2i_bot_webhooks_rejected_total{reason="malformed"} 0');
    expect(requestLines(github)).toEqual(TOKEN_AND_CONFIG);
  });

  it('counts a signed delivery that is not JSON as malformed, not as a signature problem', async () => {
    const running = await start();
    const body = 'payload=%7B%7D';

    const response = await fetch(`${running.url}/api/github/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-github-event': 'push', 'x-github-delivery': 'form-1', 'x-hub-signature-256': sign(body) },
      body,
    });
    const lines = await scrape(running);

    expect(response.status).toBe(415);
    expect(lines).toContain('s2i_bot_webhooks_rejected_total{reason="malformed"} 1');
    expect(lines).toContain('s2i_bot_webhooks_rejected_total{reason="signature"} 0');
    expect(lines.filter((line) => line.startsWith('s2i_bot_webhooks_received_total{'))).toEqual([]);
  });

  it('counts a failed run by outcome and by the phase it failed in, and times the phase', async () => {
    expectConfigRead(github, CONFIG);
    expectFailedBuildCheck(github, 21);
    const running = await start({ engine: new MissingBuilderEngine() });

    await running.deliver('push', PUSH);
    await queue.onIdle();
    const lines = await scrape(running);

    expect(lines).toContain('s2i_bot_runs_total{outcome="failed"} 1');
    expect(lines).toContain('s2i_bot_runs_total{outcome="succeeded"} 0');
    expect(lines).toContain('s2i_bot_run_phase_failures_total{phase="builder"} 1');
    expect(lines).toContain('s2i_bot_run_phase_failures_total{phase="assemble"} 0');
    expect(lines).toContain('s2i_bot_phase_duration_seconds_count{phase="builder"} 1');
    expect(lines.filter((line) => line.startsWith('s2i_bot_phase_duration_seconds_count{'))).toEqual(['s2i_bot_phase_duration_seconds_count{phase="builder"} 1']);
    expect(lines).toContain('s2i_bot_phase_duration_seconds_bucket{le="1800",phase="builder"} 1');
    expect(requestLines(github)).toEqual([...TOKEN_AND_CONFIG, `POST ${APP_REPO}/check-runs`, `PATCH ${APP_REPO}/check-runs/21`]);
    expect(github.requests[3].body).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('exports the runs waiting in the queue and the runs executing, as they are at the scrape', async () => {
    const running = await start();
    let release = () => {};
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const runs = [queue.slot(() => blocked), queue.slot(() => blocked)];

    const busy = await scrape(running);
    release();
    await Promise.all(runs);
    const idle = await scrape(running);

    expect(busy).toContain('s2i_bot_queue_depth 1');
    expect(busy).toContain('s2i_bot_builds_running 1');
    expect(idle).toContain('s2i_bot_queue_depth 0');
    expect(idle).toContain('s2i_bot_builds_running 0');
  });

  it('exports the process metrics under the s2i_bot_ prefix, like every other metric', async () => {
    const running = await start({ metrics: new BotMetrics({ queue, processMetrics: true }) });

    const lines = await scrape(running);

    const names = lines.filter((line) => line.startsWith('# TYPE ')).map((line) => line.split(' ')[2]);
    expect(names).toEqual(expect.arrayContaining(['s2i_bot_process_resident_memory_bytes', 's2i_bot_nodejs_eventloop_lag_seconds', 's2i_bot_webhooks_received_total']));
    expect(names.filter((name) => !name.startsWith('s2i_bot_'))).toEqual([]);
  });

  it('serves no /metrics when the bot has no metrics', async () => {
    const running = await start({ metrics: undefined });

    const response = await fetch(`${running.url}/metrics`);

    expect(response.status).toBe(404);
  });
});
