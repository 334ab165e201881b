import { get } from 'node:http';
import { text } from 'node:stream/consumers';
import type { DockerEngine } from './docker-engine.js';

export interface RunningService {
  containerId: string;
  /** Loopback port the container port is published on. */
  hostPort: number;
  stop(): Promise<void>;
}

/**
 * Runs an image as a service with one container port published on 127.0.0.1 (a random host port),
 * as the demo and the tests do to talk to a built image.
 */
export async function runService(engine: DockerEngine, image: string, containerPort: number): Promise<RunningService> {
  const docker = engine.docker;
  const key = `${containerPort}/tcp`;
  const container = await docker.createContainer({
    Image: image,
    ExposedPorts: { [key]: {} },
    HostConfig: { PortBindings: { [key]: [{ HostIp: '127.0.0.1', HostPort: '' }] }, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'] },
  });
  const stop = () => container.remove({ force: true }).then(() => undefined, () => undefined);
  try {
    await container.start();
    const info = await container.inspect();
    const binding = info.NetworkSettings.Ports?.[key]?.[0];
    if (!binding) throw new Error(`port ${containerPort} of ${image} was not published`);
    return { containerId: container.id, hostPort: Number(binding.HostPort), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Polls `http://127.0.0.1:<port><path>` until it answers or `timeoutMs` passes; returns the body. */
export async function waitForHttp(port: number, path = '/', timeoutMs = 15_000): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await getOnce(port, path, Math.min(2_000, Math.max(1, deadline - Date.now())));
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`nothing answered on 127.0.0.1:${port}${path} within ${timeoutMs} ms: ${(lastError as Error)?.message}`);
}

// node:http rather than fetch: while the app is starting, docker-proxy accepts and then drops connections,
// and each attempt needs its own timeout.
function getOnce(port: number, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get({ host: '127.0.0.1', port, path, timeout: timeoutMs, agent: false }, (response) => {
      text(response).then((body) => resolve({ status: response.statusCode ?? 0, body }), reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
