import type { Logger } from 'probot';
import { concludeRuns, type RecoveryPorts } from '../store/recover-runs.js';
import type { ActiveRuns } from './active-runs.js';
import type { RunQueue } from './run-queue.js';

export interface ShutDownPorts extends RecoveryPorts {
  queue: RunQueue;
  active: ActiveRuns;
  /** Stops taking webhooks (closes the HTTP server). */
  stopServer: () => Promise<void>;
  /** How long running builds may take to finish, in ms. */
  graceMs: number;
  log: Logger;
}

const SHUTTING_DOWN = 'The bot is shutting down: comment `/s2i rebuild` or press Re-run to run it again';

/** After the grace period, cancelled runs get this long to remove their containers and conclude their checks. */
const CANCEL_WAIT_MS = 15_000;

/**
 * SIGTERM: stop taking webhooks, let what runs finish for up to `graceMs`, then cancel the rest (their builds are
 * killed and their containers removed, their checks concluded `cancelled`), and conclude whatever is still live in
 * the store (queued runs, runs that did not stop in time) as interrupted, so nothing is left `in_progress`.
 */
export async function shutDown(ports: ShutDownPorts): Promise<void> {
  ports.log.info({ graceSeconds: ports.graceMs / 1000 }, 'shutting down: no new webhooks; waiting for running builds');
  await ports.stopServer().catch((error: unknown) => ports.log.error({ err: error }, 'the server did not stop cleanly'));
  // Runs still waiting for a slot do not start: each concludes its check `cancelled` when its turn comes.
  for (const run of ports.store.inFlight()) {
    if (run.state === 'queued' && run.session === ports.store.session) ports.store.finish(run.id, 'cancelled', { error: SHUTTING_DOWN });
  }
  if (!(await settlesWithin(ports.queue.onIdle(), ports.graceMs))) {
    const cancelled = ports.active.cancelAll(SHUTTING_DOWN);
    ports.log.warn({ runs: cancelled }, 'grace period over: running builds cancelled');
    await settlesWithin(ports.queue.onIdle(), CANCEL_WAIT_MS);
  }
  const left = ports.store.inFlight().filter((run) => run.session === ports.store.session);
  await concludeRuns(ports, left, 'the bot was shut down');
  ports.store.close();
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), timeout]).finally(() => clearTimeout(timer));
}
