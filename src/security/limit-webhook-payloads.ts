import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApplicationFunction } from 'probot';

/** GitHub caps webhook payloads at 25 MB; anything larger is not a delivery from GitHub. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

/** Where Probot serves webhooks unless `WEBHOOK_PATH` says otherwise. */
const DEFAULT_WEBHOOK_PATH = '/api/github/webhooks';

export interface WebhookLimitOptions {
  /** Largest body accepted, in bytes (default MAX_WEBHOOK_BYTES). */
  maxBytes?: number;
  /** The webhook path (default `WEBHOOK_PATH`, else Probot's `/api/github/webhooks`). */
  path?: string;
}

type NodeMiddleware = (request: IncomingMessage, response: ServerResponse, next?: () => void) => Promise<boolean>;

/**
 * The app with a size limit on webhook bodies. Probot reads a delivery's whole body into memory before it checks the
 * signature, with no limit, so anyone who can reach the port could exhaust the bot's memory with one request. This
 * reads the body first, up to `maxBytes`, and answers 413 to anything larger (by its `content-length` at once, or as
 * soon as a streamed body passes the limit) without passing it on; a body within the limit reaches Probot's own
 * middleware as the bytes it would have read, signature check included. Wraps `getNodeMiddleware`, the one place
 * Probot's server takes its webhook handler from.
 */
export function limitWebhookPayloads(appFn: ApplicationFunction, options: WebhookLimitOptions = {}): ApplicationFunction {
  const maxBytes = options.maxBytes ?? MAX_WEBHOOK_BYTES;
  return (app, appOptions) => {
    const getNodeMiddleware = app.getNodeMiddleware.bind(app);
    app.getNodeMiddleware = async (middlewareOptions) => {
      const middleware = (await getNodeMiddleware(middlewareOptions)) as NodeMiddleware;
      const path = normalisePath(middlewareOptions?.path ?? options.path ?? (process.env.WEBHOOK_PATH || DEFAULT_WEBHOOK_PATH));
      const limited: NodeMiddleware = async (request, response, next) => {
        if (request.method !== 'POST' || pathnameOf(request) !== path) return middleware(request, response, next);
        const body = await readBody(request, maxBytes);
        if (body === 'too large') {
          refuse(response, maxBytes);
          return true;
        }
        // @octokit/webhooks takes a body that was read before it (`rawBody`) instead of reading the stream.
        Object.assign(request, { body: {}, rawBody: body });
        return middleware(request, response, next);
      };
      return limited as Awaited<ReturnType<typeof getNodeMiddleware>>;
    };
    return appFn(app, appOptions);
  };
}

/** The body, or 'too large' as soon as it is known to be; a refused body is drained, not kept. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array | 'too large'> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    return Promise.resolve('too large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      request.off('data', onData);
      request.resume();
      resolve('too large');
    };
    request.on('data', onData);
    request.once('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
    request.once('error', reject);
  });
}

function refuse(response: ServerResponse, maxBytes: number): void {
  const error = `Payload too large: webhook deliveries may have at most ${maxBytes} bytes (GitHub sends at most 25 MB)`;
  response.writeHead(413, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ error }));
}

function pathnameOf(request: IncomingMessage): string | undefined {
  try {
    return normalisePath(new URL(request.url ?? '', 'http://localhost').pathname);
  } catch {
    return undefined;
  }
}

/** `/api/github/webhooks/` and `/api/github/webhooks` are one path to Probot. */
function normalisePath(path: string): string {
  return path.replace(/\/+$/, '') || '/';
}
