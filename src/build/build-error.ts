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
    this.reason = details.reason.trim();
    this.hint = details.hint;
    this.exitCode = details.exitCode;
    this.logTail = details.logTail ?? [];
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EACCES']);

/**
 * Any failure of a build as a BuildError of the step it happened in: the engine being unreachable gets its own
 * reason and hint; other unexpected errors keep their message.
 */
export function toBuildError(error: unknown, step: BuildStep): BuildError {
  if (error instanceof BuildError) return error;
  const { code, syscall, address, message } = (error ?? {}) as NodeJS.ErrnoException & { address?: string };
  if ((code && CONNECTION_CODES.has(code)) || (code === 'ENOENT' && syscall === 'connect')) {
    return new BuildError({
      step,
      reason: `the Docker engine could not be reached${address ? ` at ${address}` : ''} (${code})`,
      hint: 'start the Docker engine, or point DOCKER_HOST at a running one, and retry',
      cause: error,
    });
  }
  return new BuildError({
    step,
    reason: `the Docker engine failed: ${message ?? String(error)}`,
    hint: "retry the build; if it fails again, read the Docker engine's logs",
    cause: error,
  });
}
