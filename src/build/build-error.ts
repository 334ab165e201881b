/** The step of a build that failed, as a user reads it in the check run or on the terminal. */
export type BuildStep = 'settings' | 'builder' | 'source' | 'assemble' | 'commit' | 'push';

export interface BuildErrorDetails {
  step: BuildStep;
  /** What went wrong, one line. */
  reason: string;
  /** What the user can do about it. */
  hint: string;
  exitCode?: number;
  /** The last lines of the build log, when the failure happened while a script ran. */
  logTail?: string[];
  cause?: unknown;
}

/** A build failure that says which step failed, why, and what to do. */
export class BuildError extends Error {
  readonly step: BuildStep;
  readonly reason: string;
  readonly hint: string;
  readonly exitCode: number | undefined;
  readonly logTail: string[];

  constructor(details: BuildErrorDetails) {
    super(`${details.step} failed: ${details.reason}`, { cause: details.cause });
    this.name = 'BuildError';
    this.step = details.step;
    this.reason = details.reason;
    this.hint = details.hint;
    this.exitCode = details.exitCode;
    this.logTail = details.logTail ?? [];
  }
}
