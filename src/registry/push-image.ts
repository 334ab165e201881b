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

/** How a push copes with a registry it cannot reach. */
export interface PushOptions {
  /** Tries in all while the registry cannot be reached (default 3); a refusal is never retried. */
  attempts?: number;
  /** Wait before the first retry in ms, doubled for each further one (default 1000). */
  retryDelayMs?: number;
  /** Told before each retry: why the try failed, which try it was (from 1), and the wait in ms. */
  onRetry?: (failure: BuildError, attempt: number, delayMs: number) => void;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_RETRY_DELAY_MS = 1000;

/**
 * Pushes `repository:tag` with the credentials the docker CLI would use for that registry.
 * A refused or unreachable registry is a BuildError at step `push` that names the registry. An unreachable one is
 * tried again a few times first: a registry restarting or a network blip should not fail the build.
 */
export async function pushImage(
  engine: ContainerEngine,
  repository: string,
  tag: string,
  env: NodeJS.ProcessEnv = process.env,
  options: PushOptions = {},
): Promise<PushResult> {
  const { registry } = parseImageReference(repository);
  const auth = await registryAuth(registry, env).catch((cause: unknown) => {
    throw new BuildError({ step: 'push', reason: (cause as Error).message, hint: `fix ${dockerConfigPath(env)}`, cause });
  });
  const attempts = Math.max(1, options.attempts ?? DEFAULT_ATTEMPTS);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { digest } = await engine.pushImage(repository, tag, auth);
      return { registry, reference: `${repository}:${tag}`, digest, pinned: `${repository}@${digest}` };
    } catch (cause) {
      const failure = explainPushFailure(cause, registry, auth !== undefined, env);
      if (failureKind(messageOf(cause)) !== 'unreachable' || attempt >= attempts) throw failure;
      const delayMs = (options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS) * 2 ** (attempt - 1);
      options.onRetry?.(failure, attempt, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}

function messageOf(cause: unknown): string {
  return (cause as Error | undefined)?.message ?? String(cause);
}

/** What a failed push says about the registry, from the engine's message. */
function failureKind(message: string): 'refused' | 'denied' | 'unreachable' | 'other' {
  if (/unauthori[sz]ed|authentication required|no basic auth credentials|401/i.test(message)) return 'refused';
  if (/denied|forbidden|403/i.test(message)) return 'denied';
  if (/connection refused|no such host|i\/o timeout|dial tcp|timeout|EOF|server misbehaving|network is unreachable/i.test(message)) return 'unreachable';
  return 'other';
}

function explainPushFailure(cause: unknown, registry: string, hadCredentials: boolean, env: NodeJS.ProcessEnv): BuildError {
  const message = messageOf(cause);
  const config = dockerConfigPath(env);
  switch (failureKind(message)) {
    case 'refused':
      return new BuildError({
        step: 'push',
        reason: `registry ${registry} refused the ${hadCredentials ? 'credentials' : 'anonymous push'}: ${message}`,
        hint: hadCredentials
          ? `correct the credentials for ${registry} in ${config} (docker login ${registry})`
          : `add credentials for ${registry} to ${config} (docker login ${registry})`,
        cause,
      });
    case 'denied':
      return new BuildError({
        step: 'push',
        reason: `registry ${registry} denied the push: ${message}`,
        hint: `grant the account in ${config} push access to the repository on ${registry}`,
        cause,
      });
    case 'unreachable':
      return new BuildError({
        step: 'push',
        reason: `registry ${registry} is unreachable: ${message}`,
        hint: `check that ${registry} is up and reachable from the Docker engine`,
        cause,
      });
    case 'other':
      return new BuildError({ step: 'push', reason: `pushing to registry ${registry} failed: ${message}`, hint: `check the registry ${registry} and retry`, cause });
  }
}
