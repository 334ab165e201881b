import { generateKeyPairSync } from 'node:crypto';
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { waitForHttp } from '../../src/docker/run-service.js';
import { docker, runInImage } from '../support/docker.js';
import { sign } from '../support/probot.js';

// The bot's image as `.ci/images` builds it from the Dockerfile (s2i-bot/bot:local), run the way the Kubernetes
// manifests run it: as its own user, read-only, with /tmp writable and the App's identity in the environment.

// Each test starts a container; on a busy machine that alone can take longer than jest's default 5 s.
jest.setTimeout(60_000);

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: unknown[] }>;
const ping = examples.find((example) => example.name === 'ping')?.examples[0];

const BOT_IMAGE = 's2i-bot/bot:local';
const WEBHOOK_SECRET = 'image-test-webhook-secret';
const DOCKER_SOCKET = '/var/run/docker.sock';

interface RunningBot {
  port: number;
  stop(): Promise<{ exitCode: number; logs: string }>;
}

/**
 * Starts the image as the Deployment does (read-only root, /tmp writable, a volume for the run store, no
 * capabilities) with the App's identity.
 */
async function startBotContainer(options: { binds?: string[]; groupAdd?: string[] } = {}): Promise<RunningBot> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const container = await docker.createContainer({
    Image: BOT_IMAGE,
    Env: ['APP_ID=1', `PRIVATE_KEY=${privateKey}`, `WEBHOOK_SECRET=${WEBHOOK_SECRET}`],
    ExposedPorts: { '3000/tcp': {} },
    HostConfig: {
      PortBindings: { '3000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      ReadonlyRootfs: true,
      Tmpfs: { '/tmp': 'rw' },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      // A fresh volume takes the image directory's owner, as fsGroup gives the pod's volume to the bot's group.
      Mounts: [{ Type: 'volume', Source: '', Target: '/var/lib/s2i-bot' }],
      Binds: options.binds ?? [],
      GroupAdd: options.groupAdd ?? [],
    },
  });
  const remove = () => container.remove({ force: true, v: true }).catch(() => undefined);
  try {
    await container.start();
    const port = Number((await container.inspect()).NetworkSettings.Ports['3000/tcp']?.[0]?.HostPort);
    return {
      port,
      async stop() {
        await container.stop({ t: 20 });
        const { State } = await container.inspect();
        const logs = ((await container.logs({ stdout: true, stderr: true })) as Buffer).toString('utf8');
        await remove();
        return { exitCode: State.ExitCode, logs };
      },
    };
  } catch (error) {
    await remove();
    throw error;
  }
}

function deliverPing(port: number, signature: string): Promise<Response> {
  const body = JSON.stringify(ping);
  return fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'image-test-ping', 'x-hub-signature-256': signature },
    body,
  });
}

describe('deploy/bot image', () => {
  it('runs as uid 10001, which owns the data directory, and never as root', async () => {
    const { Config } = await docker.getImage(BOT_IMAGE).inspect();

    const result = await runInImage(BOT_IMAGE, ['sh', '-c', 'id -u && touch "$S2I_DATA_DIR/probe" && echo writable']);

    expect(Config.User).toBe('10001:10001');
    expect(result).toEqual({ exitCode: 0, output: '10001\nwritable\n' });
  });

  it('holds the compiled bot and its production dependencies, and no sources, tests, devDependencies or build CA', async () => {
    const { dependencies, devDependencies } = JSON.parse(await readFile(join(process.cwd(), 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    const lock = JSON.parse(await readFile(join(process.cwd(), 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    // A devDependency that a dependency also needs (pino, ajv) is a production package; the lockfile marks the rest.
    const devOnly = Object.keys(devDependencies).filter((name) => lock.packages[`node_modules/${name}`]?.dev === true);
    const script = `const fs = require('fs'); console.log(JSON.stringify({ app: fs.readdirSync('.').sort(), modules: ${JSON.stringify([...Object.keys(dependencies), ...devOnly])}.filter((name) => fs.existsSync('node_modules/' + name)) }))`;

    const result = await runInImage(BOT_IMAGE, ['node', '-e', script]);

    const listing = JSON.parse(result.output) as { app: string[]; modules: string[] };
    expect(devOnly).toEqual(expect.arrayContaining(['jest', 'typescript', 'eslint', 'nock']));
    expect(listing.app).toEqual(['app.yml', 'dist', 'node_modules', 'package.json', 'templates']);
    expect(listing.modules.sort()).toEqual(Object.keys(dependencies).sort());
  });

  it('loads better-sqlite3, the dependency compiled for this Node.js', async () => {
    const result = await runInImage(BOT_IMAGE, ['node', '-e', 'const Database = require("better-sqlite3"); console.log(new Database(":memory:").prepare("select 6 * 7 as answer").get().answer)']);

    expect(result).toEqual({ exitCode: 0, output: '42\n' });
  });

  describe('started with an App identity', () => {
    let bot: RunningBot;
    beforeAll(async () => {
      bot = await startBotContainer();
      await waitForHttp(bot.port, '/healthz', 30_000);
    }, 40_000);
    afterAll(async () => {
      await bot?.stop();
    });

    it('answers a ping signed with WEBHOOK_SECRET on port 3000, and refuses one signed with another secret', async () => {
      const body = JSON.stringify(ping);

      const signed = await deliverPing(bot.port, sign(body, WEBHOOK_SECRET));
      const forged = await deliverPing(bot.port, sign(body, 'another-secret'));

      expect(signed.status).toBe(200);
      expect(forged.status).toBe(400);
    });

    it('answers /healthz, and /readyz with 503 naming the engine when no Docker engine is reachable', async () => {
      const liveness = await waitForHttp(bot.port, '/healthz');
      const readiness = await waitForHttp(bot.port, '/readyz');

      expect(liveness).toEqual({ status: 200, body: 'ok\n' });
      expect(readiness.status).toBe(503);
      expect(JSON.parse(readiness.body)).toMatchObject({ status: 'not ready', failed: ['engine'] });
    });
  });

  it('is ready with the host\'s Docker socket mounted and its group added, as components/docker-socket runs it', async () => {
    const socketGroup = String(statSync(DOCKER_SOCKET).gid);
    const bot = await startBotContainer({ binds: [`${DOCKER_SOCKET}:${DOCKER_SOCKET}`], groupAdd: [socketGroup] });
    try {
      await waitForHttp(bot.port, '/healthz', 30_000);

      const readiness = await waitForHttp(bot.port, '/readyz');

      expect(readiness.status).toBe(200);
      expect(JSON.parse(readiness.body)).toMatchObject({ status: 'ready', checks: { engine: 'ok' } });
    } finally {
      await bot.stop();
    }
  }, 40_000);

  it('shuts down on SIGTERM (docker stop, a pod\'s deletion) instead of being killed after the timeout', async () => {
    const bot = await startBotContainer();
    await waitForHttp(bot.port, '/healthz', 30_000);

    const stopped = await bot.stop();

    expect(stopped.exitCode).toBe(0);
    expect(stopped.logs).toContain('shutting down: no new webhooks');
  }, 40_000);
});
