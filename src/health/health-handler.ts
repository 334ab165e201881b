import type { ContainerEngine } from '../docker/container-engine.js';
import { endpoint, type HttpHandler } from './http-endpoint.js';

/** Liveness: the process answers. */
export const LIVENESS_PATH = '/healthz';
/** Readiness: the process can do its work (the engine answers, and every other check passes). */
export const READINESS_PATH = '/readyz';

/**
 * How long one readiness check may take: under Kubernetes' default probe timeout of 1 s, so a check that hangs is
 * named in the answer instead of the probe timing out without one.
 */
export const READINESS_TIMEOUT_MS = 900;

/** One thing readiness depends on besides the engine, e.g. the run store once one is configured. */
export interface ReadinessCheck {
  /** Names the check in the answer: `store`. */
  name: string;
  /** Resolves when usable; its error message is shown in the answer, so it must not carry secrets. */
  check: (signal: AbortSignal) => Promise<void>;
}

export interface HealthOptions {
  /** Builds need the engine: the bot is not ready while it does not answer `ping`. */
  engine: Pick<ContainerEngine, 'ping'>;
  checks?: ReadinessCheck[];
  /** Per check; default {@link READINESS_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** The answer of `GET /readyz`: every check and its result, `ok` or what failed. */
export interface Readiness {
  status: 'ready' | 'not ready';
  checks: Record<string, string>;
  /** Names of the checks that failed, in order. */
  failed: string[];
}

/**
 * `GET /healthz` answers 200 `ok` while the process serves requests. `GET /readyz` answers 200 when the Docker
 * engine answers `ping` and every extra check passes, else 503; both with a JSON body naming each check.
 */
export function healthHandler(options: HealthOptions): HttpHandler {
  const liveness = endpoint(LIVENESS_PATH, async () => ({ status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok\n' }));
  const readiness = endpoint(READINESS_PATH, async () => {
    const result = await checkReadiness(options);
    return { status: result.status === 'ready' ? 200 : 503, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(result)}\n` };
  });
  return async (request, response) => (await liveness(request, response)) || readiness(request, response);
}

/** Runs every check at once, each bounded by the timeout. */
async function checkReadiness(options: HealthOptions): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READINESS_TIMEOUT_MS;
  const checks: ReadinessCheck[] = [{ name: 'engine', check: (signal) => options.engine.ping(signal) }, ...(options.checks ?? [])];
  const results = await Promise.all(checks.map((check) => runCheck(check, timeoutMs)));
  const failed = checks.filter((_, index) => results[index] !== 'ok').map((check) => check.name);
  return { status: failed.length === 0 ? 'ready' : 'not ready', checks: Object.fromEntries(checks.map((check, index) => [check.name, results[index]])), failed };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${timeoutMs} ms`));
      controller.abort();
    }, timeoutMs);
  });
  try {
    await Promise.race([check.check(controller.signal), timedOut]);
    return 'ok';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
