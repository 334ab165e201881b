/**
 * The runs executing in this process, each with the AbortController that stops it: a newer push cancels an older
 * build of the same branch and environment, and shutdown stops what is left.
 */
export class ActiveRuns {
  private readonly controllers = new Map<number, AbortController>();

  /** Registers a run that starts executing; its signal aborts with the reason given to `cancel`. */
  start(runId: number): AbortSignal {
    const controller = new AbortController();
    this.controllers.set(runId, controller);
    return controller.signal;
  }

  /** Stops a run executing here; false when it is not. */
  cancel(runId: number, reason: string): boolean {
    const controller = this.controllers.get(runId);
    if (!controller) return false;
    controller.abort(new RunCancelled(reason));
    return true;
  }

  /** Stops every run executing here. */
  cancelAll(reason: string): number[] {
    const ids = [...this.controllers.keys()];
    for (const id of ids) this.cancel(id, reason);
    return ids;
  }

  end(runId: number): void {
    this.controllers.delete(runId);
  }
}

/** Why a run was stopped, as its check says it: "Superseded by abc1234", "The bot is shutting down". */
export class RunCancelled extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RunCancelled';
  }
}
