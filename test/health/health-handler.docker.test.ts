import { s2iBot } from '../../src/app.js';
import { DockerEngine } from '../../src/docker/docker-engine.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { engine, testSettings } from '../support/docker.js';
import { startBot, type RunningBot } from '../support/probot.js';

describe('health/health-handler against the real engine', () => {
  let bot: RunningBot | undefined;

  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
  });

  async function readyz(dockerEngine: DockerEngine): Promise<{ status: number; body: unknown }> {
    const queue = new RunQueue({ concurrency: 1 });
    bot = await startBot(s2iBot({ engine: dockerEngine, settings: testSettings(), queue, env: {}, checkRefreshMs: 60_000 }));
    const response = await fetch(`${bot.url}/readyz`);
    return { status: response.status, body: await response.json() };
  }

  it('is ready when the Docker engine answers ping', async () => {
    const answer = await readyz(engine);

    expect(answer).toEqual({ status: 200, body: { status: 'ready', checks: { engine: 'ok' }, failed: [] } });
  });

  it('is not ready when no Docker engine listens on DOCKER_HOST, and says why', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    const nowhere = new DockerEngine();
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;

    const answer = await readyz(nowhere);

    expect(answer).toEqual({ status: 503, body: { status: 'not ready', checks: { engine: expect.stringContaining('/nonexistent/docker.sock') }, failed: ['engine'] } });
  });
});
