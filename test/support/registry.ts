import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRegistry {
  /** `127.0.0.1:<port>`: loopback registries are plain-HTTP-allowed by the Docker engine. */
  address: string;
  /** Reads the manifest digest the registry serves for `name:tag` (undefined on 404). */
  manifestDigest(name: string, tag: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

export interface Credentials {
  username: string;
  password: string;
}

/**
 * Starts a real distribution registry (`docker-registry serve`) on a free loopback port (or `port`), with
 * htpasswd basic auth when `auth` is given. State lives in a temp directory removed by `stop()`.
 */
export async function startRegistry(auth?: Credentials, port?: number): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 's2i-bot-registry-'));
  port ??= await freePort();
  const address = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log: { level: error }',
    `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
    `http: { addr: "${address}", secret: test-only-secret }`,
  ];
  if (auth) {
    execFileSync('htpasswd', ['-Bbc', join(dir, 'htpasswd'), auth.username, auth.password], { stdio: 'ignore' });
    lines.push(`auth: { htpasswd: { realm: test, path: ${join(dir, 'htpasswd')} } }`);
  }
  await writeFile(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const authHeader = auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : undefined;

  await waitUntilUp(address, child, () => stderr);
  return {
    address,
    async manifestDigest(name, tag) {
      const response = await fetch(`http://${address}/v2/${name}/manifests/${tag}`, {
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json', ...authHeader },
      });
      return response.status === 404 ? undefined : (response.headers.get('docker-content-digest') ?? undefined);
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A DOCKER_CONFIG directory whose config.json holds `credentials` for `registry`, as `docker login` writes it. */
export async function dockerConfigWith(registry: string, credentials: Credentials): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 's2i-bot-docker-config-'));
  await mkdir(dir, { recursive: true });
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registry]: { auth } } }), { mode: 0o600 });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

async function waitUntilUp(address: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    try {
      const response = await fetch(`http://${address}/v2/`);
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`docker-registry did not come up on ${address}: ${stderr()}`);
}

/** A TCP port nothing listens on right now, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
