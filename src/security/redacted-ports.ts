import type { PipelineEvent, PipelineJob, PipelinePorts } from '../pipeline/run-pipeline.js';
import type { CheckOutput } from '../report/check-output.js';
import type { CheckReporter, RunReporter } from '../report/check-reporter.js';
import { loadRedactor, type Redactor } from './redact.js';

/**
 * The ports of one run with every sink behind the run's redactor: check-run outputs (titles, summaries, log
 * tails, annotations), progress events (phase messages and build log lines, which the CLI prints and the App logs)
 * and the build's own log and errors (`redact`, applied before anything is kept or cut). What it hides: see
 * `loadRedactor`; the run's `env` values whose names look secret are added to the environment's secrets.
 */
export async function redactedPorts(job: Pick<PipelineJob, 'config'>, ports: PipelinePorts): Promise<PipelinePorts> {
  const redactor = await loadRedactor({ env: ports.env ?? process.env, proxy: ports.settings.proxy, buildEnv: job.config.env });
  const { onEvent } = ports;
  return {
    ...ports,
    redact: (text) => redactor.redact(text),
    reporter: redactingReporter(ports.reporter, redactor),
    ...(onEvent ? { onEvent: (event: PipelineEvent) => onEvent(redactEvent(event, redactor)) } : {}),
  };
}

/** A RunReporter whose checks show only redacted output. */
export function redactingReporter(reporter: RunReporter, redactor: Redactor): RunReporter {
  return {
    check(name) {
      const check = reporter.check(name);
      const wrapped: CheckReporter = {
        get started() {
          return check.started;
        },
        get completed() {
          return check.completed;
        },
        progress: (output) => check.progress(redactOutput(output, redactor)),
        complete: (conclusion, output, links) => check.complete(conclusion, redactOutput(output, redactor), links),
      };
      return wrapped;
    },
  };
}

function redactOutput(output: CheckOutput, redactor: Redactor): CheckOutput {
  const redact = (text: string) => redactor.redact(text);
  return {
    ...output,
    title: redact(output.title),
    summary: redact(output.summary),
    ...(output.text !== undefined ? { text: redact(output.text) } : {}),
    ...(output.annotations
      ? { annotations: output.annotations.map((annotation) => ({ ...annotation, message: redact(annotation.message), ...(annotation.title !== undefined ? { title: redact(annotation.title) } : {}) })) }
      : {}),
  };
}

function redactEvent(event: PipelineEvent, redactor: Redactor): PipelineEvent {
  return event.kind === 'log' ? { ...event, line: redactor.redact(event.line) } : { ...event, message: redactor.redact(event.message) };
}
