/** The last holder or waiter of each busy key; idle keys have no entry. */
const tails = new Map<string, Promise<void>>();

/**
 * Runs `fn` once every earlier `withWriteLock` call with the same key has finished (resolved or thrown), so writes
 * to one config repo branch never interleave inside this process. Other processes are handled by the writer's
 * optimistic retry; this lock only spares them the wasted round trips. Different keys run concurrently.
 */
export async function withWriteLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  // `previous` never rejects: it is a chain of `done` promises, which only resolve.
  const tail = previous.then(() => done);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}

/** Keys that have a holder or waiters right now (for tests and diagnostics). */
export function busyWriteLocks(): string[] {
  return [...tails.keys()];
}
