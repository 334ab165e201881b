import { s2iBot } from '../../src/app.js';
import type { ReadinessCheck } from '../../src/health/health-handler.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { startBot, type RunningBot } from '../support/probot.js';
import { UnusedEngine } from '../support/unused-engine.js';

/** An engine that only answers `ping`, the way `answer` says. */
class PingEngine extends UnusedEngine {
  pings = 0;

  constructor(private readonly answer: () => Promise<void>) {
    super('the health endpoints');
  }

  override ping(): Promise<void> {
    this.pings += 1;
    return this.answer();
  }
}

const unreachable = () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock'));

describe('health/health-handler', () => {
  let bot: RunningBot | undefined;

  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  async function start(engine: PingEngine, checks?: ReadinessCheck[]): Promise<RunningBot> {
    const queue = new RunQueue({ concurrency: 1 });
    bot = await startBot(s2iBot({ engine, settings: loadEngineSettings({}), queue, env: {}, checkRefreshMs: 60_000, readinessChecks: checks }));
    return bot;
  }

  it('answers /healthz with 200 ok without asking the engine', async () => {
    const engine = new PingEngine(unreachable);
    const running = await start(engine);

    const response = await fetch(`${running.url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok\n');
    expect(engine.pings).toBe(0);
  });

  it('answers /readyz with 200 when the engine answers ping', async () => {
    const running = await start(new PingEngine(() => Promise.resolve()));

    const response = await fetch(`${running.url}/readyz`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await response.json()).toEqual({ status: 'ready', checks: { engine: 'ok' }, failed: [] });
  });

  it('answers /readyz with 503 naming the engine when its ping fails', async () => {
    const running = await start(new PingEngine(unreachable));

    const response = await fetch(`${running.url}/readyz`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not ready', checks: { engine: 'connect ENOENT /var/run/docker.sock' }, failed: ['engine'] });
  });

  it('is not ready while another check fails, and names it', async () => {
    const store: ReadinessCheck = { name: 'store', check: () => Promise.reject(new Error('database is locked')) };
    const running = await start(new PingEngine(() => Promise.resolve()), [store]);

    const response = await fetch(`${running.url}/readyz`);

    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not ready', checks: { engine: 'ok', store: 'database is locked' }, failed: ['store'] });
  });

  it('answers within a second when checks hang, naming them and aborting the ones that take a signal', async () => {
    let aborted = false;
    const hung: ReadinessCheck = { name: 'store', check: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted'))))) };
    const running = await start(new PingEngine(() => new Promise(() => {})), [hung]);
    const started = Date.now();

    const response = await fetch(`${running.url}/readyz`);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'not ready', checks: { engine: 'no answer within 900 ms', store: 'no answer within 900 ms' }, failed: ['engine', 'store'] });
    expect(aborted).toBe(true);
  });

  it('refuses other methods than GET and HEAD on its paths', async () => {
    const running = await start(new PingEngine(() => Promise.resolve()));

    const post = await fetch(`${running.url}/healthz`, { method: 'POST' });
    const head = await fetch(`${running.url}/readyz`, { method: 'HEAD' });

    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(head.status).toBe(200);
  });
});
