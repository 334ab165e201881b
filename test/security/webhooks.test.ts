import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import { request as httpRequest } from 'node:http';
import { s2iBot } from '../../src/app.js';
import type { PushPayload } from '../../src/events/push-event.js';
import { RunQueue } from '../../src/queue/run-queue.js';
import { limitWebhookPayloads, MAX_WEBHOOK_BYTES } from '../../src/security/limit-webhook-payloads.js';
import { loadEngineSettings } from '../../src/settings/engine-settings.js';
import { assertGitHubDone, mockGitHub, requestLines, type GitHubMock } from '../support/github-api.js';
import { sign, startBot, type RunningBot } from '../support/probot.js';
import { UnusedEngine } from '../support/unused-engine.js';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Array<{ name: string; examples: PushPayload[] }>;
/** GitHub's own example of a push to a branch (`master` of Codertocat/Hello-World, installation 1). */
const PUSH = examples.find((example) => example.name === 'push')?.examples.find((push) => push.ref === 'refs/heads/master' && push.installation) as PushPayload;

const ONE_MIB = 1024 * 1024;

describe('security: webhook deliveries over HTTP', () => {
  let github: GitHubMock;
  let queue: RunQueue;
  let bot: RunningBot;

  beforeEach(async () => {
    github = mockGitHub();
    queue = new RunQueue({ concurrency: 1 });
    const app = s2iBot({ engine: new UnusedEngine('a refused delivery'), settings: loadEngineSettings({}), queue, env: {}, checkRefreshMs: 60_000 });
    bot = await startBot(limitWebhookPayloads(app));
  });

  afterEach(async () => {
    await bot.stop();
    assertGitHubDone(github);
  });

  /** Posts raw bytes with GitHub's headers, as a forger would. */
  function post(body: string | Buffer | ReadableStream<Uint8Array>, signature: string | undefined): Promise<Response> {
    return fetch(`${bot.url}/api/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': `forged-${Math.random()}`,
        ...(signature ? { 'x-hub-signature-256': signature } : {}),
      },
      body,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  }

  it('runs a push that GitHub signed (so the refusals below are the signature, not the payload)', async () => {
    github.api.post('/app/installations/1/access_tokens').reply(201, { token: 'ghs_installation', expires_at: '2099-01-01T00:00:00Z' });
    github.api.get('/repos/Codertocat/Hello-World/contents/.github%2Fs2i.yml').query({ ref: PUSH.after }).reply(404, { message: 'Not Found' });

    const response = await bot.deliver('push', PUSH);
    await queue.onIdle();

    expect(response.status).toBe(200);
    expect(requestLines(github)).toEqual(['POST /app/installations/1/access_tokens', `GET /repos/Codertocat/Hello-World/contents/.github%2Fs2i.yml?ref=${PUSH.after}`]);
  });

  it.each<[string, (body: string) => string | null]>([
    ['signed with another secret', (body) => sign(body, 'not-the-secret')],
    ['without a signature', () => null],
    ['with a signature that is not hex', () => 'sha256=zzzz'],
  ])('refuses a push %s with 400 and asks GitHub for nothing', async (_name, signature) => {
    const body = JSON.stringify(PUSH);

    const response = await bot.deliver('push', PUSH, { signature: signature(body) });
    await queue.onIdle();

    expect(response.status).toBe(400);
    expect(github.requests).toEqual([]);
    expect(queue.size).toBe(0);
  });

  it('refuses a delivery replayed with its old signature but an altered body, asking GitHub for nothing', async () => {
    const original = JSON.stringify(PUSH);
    const altered = JSON.stringify({ ...PUSH, after: 'f'.repeat(40), head_commit: { ...PUSH.head_commit, id: 'f'.repeat(40) } });

    const response = await post(altered, sign(original));
    await queue.onIdle();

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringMatching(/signature does not match/i) });
    expect(github.requests).toEqual([]);
  });

  it('refuses a body over the limit by its content-length with 413, even when correctly signed, and asks GitHub for nothing', async () => {
    const body = JSON.stringify({ ...PUSH, padding: 'x'.repeat(MAX_WEBHOOK_BYTES) });

    const response = await post(body, sign(body));
    await queue.onIdle();

    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_WEBHOOK_BYTES);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: `Payload too large: webhook deliveries may have at most ${MAX_WEBHOOK_BYTES} bytes (GitHub sends at most 25 MB)` });
    expect(github.requests).toEqual([]);
  });

  it('refuses a streamed body without content-length as soon as it passes the limit', async () => {
    // 64 MiB on offer, chunked; the answer must come long before the end.
    const { status, sentBytes } = await new Promise<{ status: number; sentBytes: number }>((resolve, reject) => {
      let sentBytes = 0;
      const request = httpRequest(`${bot.url}/api/github/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'streamed', 'x-hub-signature-256': sign('irrelevant'), 'transfer-encoding': 'chunked' },
      });
      request.on('response', (response) => {
        response.resume();
        resolve({ status: response.statusCode ?? 0, sentBytes });
        request.destroy();
      });
      // The server closing the connection on the rest of the upload is the point, not a failure.
      request.on('error', (error: NodeJS.ErrnoException) => (['EPIPE', 'ECONNRESET'].includes(error.code ?? '') ? undefined : reject(error)));
      const writeMore = () => {
        while (sentBytes < 64 * ONE_MIB && !request.destroyed) {
          sentBytes += ONE_MIB;
          if (!request.write(Buffer.alloc(ONE_MIB, 0x20))) return void request.once('drain', writeMore);
        }
        if (!request.destroyed) request.end();
      };
      writeMore();
    });

    expect(status).toBe(413);
    expect(sentBytes).toBeLessThan(64 * ONE_MIB);
    expect(github.requests).toEqual([]);
  });

  it('passes a body just under the limit on to the signature check, which refuses a forged one with 400', async () => {
    const body = JSON.stringify({ ...PUSH, padding: 'x'.repeat(MAX_WEBHOOK_BYTES - 64 * 1024) });

    const response = await post(body, sign(body, 'forged'));

    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_WEBHOOK_BYTES);
    expect(response.status).toBe(400);
    expect(github.requests).toEqual([]);
  });
});
