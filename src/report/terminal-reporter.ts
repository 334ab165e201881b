import type { Output } from '../cli/output.js';
import type { CheckName, CheckOutput, Conclusion } from './check-output.js';
import type { CheckReporter, RunReporter } from './check-reporter.js';

/** The checks of a local run, printed as they start and conclude (the log lines are printed by the caller). */
export class TerminalReporter implements RunReporter {
  /** Conclusion of every check that concluded, in order. */
  readonly conclusions = new Map<CheckName, Conclusion>();

  constructor(private readonly out: Output) {}

  check(name: CheckName): CheckReporter {
    let started = false;
    let completed = false;
    const out = this.out;
    const conclusions = this.conclusions;
    return {
      get started() {
        return started;
      },
      get completed() {
        return completed;
      },
      async progress(output: CheckOutput) {
        if (started || completed) return;
        started = true;
        out.phase(`${name}: ${output.title}`);
      },
      async complete(conclusion: Conclusion, output: CheckOutput) {
        if (completed) return;
        started = true;
        completed = true;
        conclusions.set(name, conclusion);
        out.result(`${name} ${conclusion}: ${output.title}`);
        // The summary is Markdown for GitHub; on a terminal the bold markers are noise.
        for (const line of output.summary.split('\n')) if (line.trim() !== '') out.log(line.replace(/\*\*/g, ''));
        if (conclusion !== 'success' && output.text) for (const line of output.text.split('\n')) out.log(line);
      },
    };
  }
}
