import { BuildError } from '../build/build-error.js';
import type { ContainerEngine } from '../docker/container-engine.js';
import { dockerConfigPath, registryAuth } from './docker-config.js';
import { parseImageReference } from './image-reference.js';

export interface PushResult {
  registry: string;
  /** `repository:tag`. */
  reference: string;
  /** Manifest digest reported by the registry, `sha256:...`. */
  digest: string;
  /** `repository@digest`, the immutable reference deployments pin. */
  pinned: string;
}

/**
 * Pushes `repository:tag` with the credentials the docker CLI would use for that registry.
 * A refused or unreachable registry is a BuildError at step `push` that names the registry.
 */
export async function pushImage(
  engine: ContainerEngine,
  repository: string,
  tag: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PushResult> {
  const { registry } = parseImageReference(repository);
  const auth = await registryAuth(registry, env).catch((cause: unknown) => {
    throw new BuildError({ step: 'push', reason: (cause as Error).message, hint: `fix ${dockerConfigPath(env)}`, cause });
  });
  try {
    const { digest } = await engine.pushImage(repository, tag, auth);
    return { registry, reference: `${repository}:${tag}`, digest, pinned: `${repository}@${digest}` };
  } catch (cause) {
    throw explainPushFailure(cause, registry, auth !== undefined, env);
  }
}

function explainPushFailure(cause: unknown, registry: string, hadCredentials: boolean, env: NodeJS.ProcessEnv): BuildError {
  const message = (cause as Error | undefined)?.message ?? String(cause);
  const config = dockerConfigPath(env);
  if (/unauthori[sz]ed|authentication required|no basic auth credentials|401/i.test(message)) {
    return new BuildError({
      step: 'push',
      reason: `registry ${registry} refused the ${hadCredentials ? 'credentials' : 'anonymous push'}: ${message}`,
      hint: hadCredentials
        ? `correct the credentials for ${registry} in ${config} (docker login ${registry})`
        : `add credentials for ${registry} to ${config} (docker login ${registry})`,
      cause,
    });
  }
  if (/denied|forbidden|403/i.test(message)) {
    return new BuildError({
      step: 'push',
      reason: `registry ${registry} denied the push: ${message}`,
      hint: `grant the account in ${config} push access to the repository on ${registry}`,
      cause,
    });
  }
  if (/connection refused|no such host|i\/o timeout|dial tcp|timeout|EOF|server misbehaving|network is unreachable/i.test(message)) {
    return new BuildError({
      step: 'push',
      reason: `registry ${registry} is unreachable: ${message}`,
      hint: `check that ${registry} is up and reachable from the Docker engine`,
      cause,
    });
  }
  return new BuildError({ step: 'push', reason: `pushing to registry ${registry} failed: ${message}`, hint: `check the registry ${registry} and retry`, cause });
}
