import { createHmac, generateKeyPairSync } from 'node:crypto';
import { Probot, Server, type ApplicationFunction } from 'probot';
import { pino, type Logger } from 'pino';
import { TestOctokit } from './github-api.js';
import { freePort } from './registry.js';

export const APP_ID = 1;
export const WEBHOOK_SECRET = 'test-webhook-secret';

export interface RunningBot {
  /** `http://127.0.0.1:<port>`: the bot's server, for its other endpoints (`/metrics`, `/healthz`, `/readyz`). */
  url: string;
  /** Posts a webhook over HTTP, signed with the app's secret unless `signature` overrides it. */
  deliver(event: string, payload: unknown, options?: { delivery?: string; signature?: string | null }): Promise<Response>;
  stop(): Promise<void>;
}

/**
 * Starts the app on Probot's real HTTP server on a free loopback port, as `npm start` would. `log` receives every
 * line the server and the app log (default: silent, or TEST_LOG_LEVEL).
 */
export async function startBot(app: ApplicationFunction, options: { log?: Logger } = {}): Promise<RunningBot> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const port = await freePort();
  const log = options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const server = new Server({
    host: '127.0.0.1',
    port,
    log,
    Probot: Probot.defaults({ appId: APP_ID, privateKey, secret: WEBHOOK_SECRET, Octokit: TestOctokit, log }),
  });
  await server.load(app);
  await server.start();
  let deliveries = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    deliver(event, payload, options = {}) {
      const body = JSON.stringify(payload);
      const signature = options.signature === undefined ? sign(body) : options.signature;
      return fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          'x-github-delivery': options.delivery ?? `delivery-${(deliveries += 1)}`,
          ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
        },
        body,
      });
    },
    stop: () => server.stop(),
  };
}

/** GitHub's `x-hub-signature-256` of a body. */
export function sign(body: string, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
