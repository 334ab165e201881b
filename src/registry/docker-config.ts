import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { RegistryAuth } from '../docker/container-engine.js';
import { DOCKER_HUB } from './image-reference.js';

/** The parts of the docker CLI's config.json that hold registry credentials. */
interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export class DockerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DockerConfigError';
  }
}

/** The config file the docker CLI reads: `$DOCKER_CONFIG/config.json`, default `~/.docker/config.json`. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/**
 * Finds credentials for a registry the way the docker CLI does: a credential helper for that registry,
 * then the global credential store, then `auths`. No file or no entry means anonymous (undefined).
 */
export async function registryAuth(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryAuth | undefined> {
  const path = dockerConfigPath(env);
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(path, 'utf8')) as DockerConfigFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DockerConfigError(`${path} could not be read as JSON: ${(error as Error).message}`);
  }
  const serverAddress = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
  const helper = config.credHelpers?.[registry] ?? config.credsStore;
  if (helper) {
    const fromHelper = await credentialHelper(helper, serverAddress);
    if (fromHelper) return fromHelper;
  }
  const entry = findAuthEntry(config.auths ?? {}, registry);
  if (!entry) return undefined;
  if (entry.identitytoken) return { identitytoken: entry.identitytoken, serveraddress: serverAddress };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new DockerConfigError(`the "auth" value for ${registry} in ${path} is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: serverAddress };
  }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: serverAddress };
  return undefined;
}

function findAuthEntry(auths: NonNullable<DockerConfigFile['auths']>, registry: string) {
  const hostOf = (key: string) => key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  const wanted = registry === DOCKER_HUB ? ['index.docker.io', 'docker.io', 'registry-1.docker.io'] : [registry];
  const key = Object.keys(auths).find((candidate) => wanted.includes(hostOf(candidate)));
  return key === undefined ? undefined : auths[key];
}

/** Asks `docker-credential-<helper> get`; a helper that knows nothing for this registry gives undefined. */
function credentialHelper(helper: string, serverAddress: string): Promise<RegistryAuth | undefined> {
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: 10_000 }, (error, stdout) => {
      if (error) {
        if (/credentials not found/i.test(stdout) || (error as NodeJS.ErrnoException).code === 'ENOENT') return resolve(undefined);
        return reject(new DockerConfigError(`credential helper docker-credential-${helper} failed for ${serverAddress}`));
      }
      try {
        const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!parsed.Secret) return resolve(undefined);
        resolve(
          parsed.Username === '<token>'
            ? { identitytoken: parsed.Secret, serveraddress: serverAddress }
            : { username: parsed.Username, password: parsed.Secret, serveraddress: serverAddress },
        );
      } catch {
        reject(new DockerConfigError(`credential helper docker-credential-${helper} answered something that is not JSON`));
      }
    });
    child.stdin?.end(serverAddress);
  });
}
