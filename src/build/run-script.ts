import type { ContainerEngine } from '../docker/container-engine.js';
import type { BuildSettings } from '../settings/build-settings.js';
import { formatBytes } from '../source/prepare-source.js';
import { BuildError } from './build-error.js';
import { LineSplitter, LogTail } from './log-lines.js';

/** A line of script output as the build reports it. */
export type ScriptLogLine = (line: string, stream: 'stdout' | 'stderr') => void;

export interface RunScriptOptions {
  /** Script name as users know it: `assemble`, `assemble-runtime`. */
  script: string;
  settings: BuildSettings;
  onLine: ScriptLogLine;
  /** Applied to every line before it is logged or kept for an error's log tail. */
  redact: (text: string) => string;
  signal?: AbortSignal;
}

/**
 * Runs a created script container to its end, streaming its output as log lines. A non-zero exit, the build
 * timeout and cancellation are BuildErrors of the `assemble` step that carry the last lines of the log.
 */
export async function runScript(engine: ContainerEngine, containerId: string, options: RunScriptOptions): Promise<void> {
  const { script, settings } = options;
  const tail = new LogTail();
  const lineOf = (stream: 'stdout' | 'stderr') => (raw: string) => {
    const line = options.redact(raw);
    tail.add(line);
    options.onLine(line, stream);
  };
  const splitters = { stdout: new LineSplitter(lineOf('stdout')), stderr: new LineSplitter(lineOf('stderr')) };
  throwIfCancelled(options.signal);
  const result = await engine.run(containerId, (chunk, stream) => splitters[stream].push(chunk), settings.timeoutSeconds * 1000, options.signal);
  splitters.stdout.flush();
  splitters.stderr.flush();
  if (result.cancelled) throwIfCancelled(options.signal, tail.toArray());
  if (result.timedOut) {
    throw new BuildError({
      step: 'assemble',
      reason: `${script} did not finish within ${settings.timeoutSeconds}s and was stopped`,
      hint: 'make the build faster, or ask the operator to raise S2I_BUILD_TIMEOUT',
      logTail: tail.toArray(),
    });
  }
  if (result.exitCode !== 0) {
    throw new BuildError({
      step: 'assemble',
      reason: `${script} exited with code ${result.exitCode}${result.exitCode === 137 ? ' (killed: out of memory?)' : ''}`,
      hint:
        result.exitCode === 137
          ? `the build may have run out of its ${formatBytes(settings.memoryBytes)} memory limit; ask the operator to raise S2I_BUILD_MEMORY`
          : 'read the last lines of the build log, fix the source or the build environment, and push again',
      exitCode: result.exitCode,
      logTail: tail.toArray(),
    });
  }
}

/** Throws the "cancelled" BuildError when the build's signal has aborted. */
export function throwIfCancelled(signal: AbortSignal | undefined, logTail: string[] = []): void {
  if (!signal?.aborted) return;
  throw new BuildError({ step: 'assemble', reason: 'the build was cancelled', hint: 'start the build again when it is wanted', logTail });
}
