export interface RunQueueOptions {
  /** Runs executing at the same time (`S2I_BUILD_CONCURRENCY`). */
  concurrency: number;
}

/**
 * The in-process queue runs are taken from: at most `concurrency` at a time, in arrival order. It only schedules:
 * which deliveries and runs are new is the run store's to decide (`markDelivery`, `claimRun`), across restarts.
 */
export class RunQueue {
  private readonly waiting: Array<() => Promise<void>> = [];
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private tracked = 0;

  constructor(private readonly options: RunQueueOptions) {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${options.concurrency}`);
  }

  /** Runs `task` when a slot is free, in arrival order, and settles with its outcome. */
  slot<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => task().then(resolve, reject));
      this.next();
    });
  }

  /**
   * Work started outside the queue that may add to it (a delivery's handling: the config read, a command's reaction
   * and permission check do not wait for a free slot). `onIdle` waits for it too.
   */
  track(work: Promise<void>): void {
    this.tracked += 1;
    void work.finally(() => {
      this.tracked -= 1;
      this.settle();
    });
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
