import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request handler of Probot's server: true when it answered the request, false to let the next one try. */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/** What an endpoint answers. */
export interface EndpointAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** The request's path without query and trailing slashes (`/readyz/?x` is `/readyz`), as Probot matches its own. */
export function requestPath(request: Pick<IncomingMessage, 'url'>): string {
  const { pathname } = new URL(request.url ?? '/', 'http://localhost');
  return pathname.length > 1 ? pathname.replace(/\/+$/, '') || '/' : pathname;
}

/**
 * A GET (and HEAD) endpoint on exactly `path`; other methods on it get 405. Answers are never cached: probes and
 * scrapes want the state of now.
 */
export function endpoint(path: string, answer: () => Promise<EndpointAnswer>): HttpHandler {
  return async (request, response) => {
    if (requestPath(request) !== path) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const { status, contentType, body } = await answer();
    response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}
