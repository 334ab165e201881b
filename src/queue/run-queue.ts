/** How many keys the queue remembers to refuse duplicates; old ones are forgotten first. */
const REMEMBERED_KEYS = 10_000;

export interface RunQueueOptions {
  /** Runs executing at the same time (`S2I_BUILD_CONCURRENCY`). */
  concurrency: number;
  /** Called when a task throws; tasks report their own failures, so this is for bugs. */
  onError: (error: unknown, key: string) => void;
}

/**
 * The in-process queue runs are taken from: at most `concurrency` at a time, in arrival order.
 * A key (a delivery id, or repo + commit + environment) is accepted once; a second `add` or `claim` with a
 * key seen before is refused, so a redelivered webhook or a repeated push does not build twice.
 */
export class RunQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private running = 0;
  private readonly seen = new Set<string>();
  private idleWaiters: Array<() => void> = [];
  private tracked = 0;

  constructor(private readonly options: RunQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
  }

  /** Queues `task` unless `key` was seen before; returns whether it was queued. */
  add(key: string, task: () => Promise<void>): boolean {
    if (!this.claim(key)) return false;
    this.waiting.push(async () => {
      try {
        await task();
      } catch (error) {
        this.options.onError(error, key);
      }
    });
    this.next();
    return true;
  }

  /** Runs `task` when a slot is free, in arrival order with `add`, and settles with its outcome. */
  slot<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => task().then(resolve, reject));
      this.next();
    });
  }

  /** Marks `key` as taken; false when it was already taken. */
  claim(key: string): boolean {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    if (this.seen.size > REMEMBERED_KEYS) this.seen.delete(this.seen.values().next().value as string);
    return true;
  }

  /** Runs waiting or executing. */
  get size(): number {
    return this.waiting.length + this.running;
  }

  /** Runs waiting for a free slot. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Runs executing now: the concurrency in use. */
  get runningCount(): number {
    return this.running;
  }

  /**
   * Work started outside the queue that may add to it (a comment's commands: the reaction and the permission check
   * do not wait for a free slot). `onIdle` waits for it too.
   */
  track(work: Promise<void>): void {
    this.tracked += 1;
    void work.finally(() => {
      this.tracked -= 1;
      this.settle();
    });
  }

  /** Resolves when nothing is waiting, running or tracked. */
  onIdle(): Promise<void> {
    if (this.size === 0 && this.tracked === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(): void {
    if (this.size > 0 || this.tracked > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private next(): void {
    while (this.running < this.options.concurrency && this.waiting.length > 0) {
      const task = this.waiting.shift() as () => Promise<void>;
      this.running += 1;
      void task().finally(() => {
        this.running -= 1;
        this.next();
        this.settle();
      });
    }
  }
}
