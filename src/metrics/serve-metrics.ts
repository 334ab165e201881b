import type { ApplicationFunctionOptions, Probot } from 'probot';
import { endpoint, requestPath } from '../health/http-endpoint.js';
import type { BotMetrics } from './bot-metrics.js';

/** Where Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/**
 * Serves `GET /metrics` (Prometheus text format) on Probot's server and counts the app's webhook deliveries:
 * received ones by event, refused ones by reason.
 */
export function serveMetrics(app: Probot, addHandler: ApplicationFunctionOptions['addHandler'], metrics: BotMetrics): void {
  countDeliveries(app, metrics);
  addHandler(
    endpoint(METRICS_PATH, async () => {
      const { contentType, text } = await metrics.exposition();
      return { status: 200, contentType, body: text };
    }),
  );
}

/**
 * Verified deliveries reach `onAny`. Refused ones mostly never reach the app: the webhook middleware answers a
 * missing signature, missing headers or a wrong content type with 4xx itself, and only a signature that does not
 * match also goes to `onError`. So the middleware Probot's server asks for is wrapped to see every answer on the
 * webhook path, and `onError` tells a mismatched signature apart from a malformed delivery.
 */
function countDeliveries(app: Probot, metrics: BotMetrics): void {
  app.onAny((event) => metrics.webhookReceived(event.name));

  const mismatched = new Set<string>();
  app.onError((error) => {
    // Handler failures come here too (answered 500); they are not refusals. A mismatched signature is a cause
    // that carries the delivery it refused.
    for (const cause of error.errors ?? []) {
      const refused = cause as Error & { event?: { id?: string } };
      if (/signature does not match/i.test(refused.message ?? '') && refused.event?.id) mismatched.add(refused.event.id);
    }
  });

  const middlewareFor = app.getNodeMiddleware.bind(app);
  app.getNodeMiddleware = async (options) => {
    const middleware = await middlewareFor(options);
    const webhookPath = requestPath({ url: options?.path ?? app.webhookPath });
    return (request, response, next) => {
      if (request.method === 'POST' && requestPath(request) === webhookPath) {
        response.once('close', () => {
          const delivery = request.headers['x-github-delivery'];
          const signatureMismatch = typeof delivery === 'string' && mismatched.delete(delivery);
          if (response.statusCode < 400 || response.statusCode >= 500) return;
          metrics.webhookRejected(signatureMismatch || request.headers['x-hub-signature-256'] === undefined ? 'signature' : 'malformed');
        });
      }
      return middleware(request, response, next);
    };
  };
}
