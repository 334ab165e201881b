import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A scripts server on 127.0.0.1 for tests: routes answer what the test says, anything else is a 404, and every
 * request is recorded so a test can assert what the bot fetched (and what it did not).
 */
export class ScriptServer {
  readonly requests: string[] = [];
  private readonly routes = new Map<string, Handler>();
  private server: Server | undefined;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      this.requests.push(`${request.method} ${request.url}`);
      const handler = this.routes.get(request.url ?? '');
      if (handler) handler(request, response);
      else response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  on(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  /** Serves `body` with a 200 at `path`. */
  serve(path: string, body: string): void {
    this.on(path, (_request, response) => response.writeHead(200, { 'content-type': 'text/plain' }).end(body));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** A loopback URL nothing listens on (a server started and stopped at once). */
export async function closedPortUrl(): Promise<string> {
  const server = new ScriptServer();
  await server.start();
  await server.stop();
  return server.base;
}
