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
        for (const line of plainLines(output.summary)) out.log(line);
        if (conclusion !== 'success' && output.text) for (const line of plainLines(output.text)) out.log(line);
      },
    };
  }
}

/** Check-run Markdown as terminal lines: no bold, code or heading markers, no fences, links as `text (url)`. */
function plainLines(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s*(`{3,}|#{1,6}\s)/.test(line))
    .map((line) => line.replace(/\*\*/g, '').replace(/\[([^\]]*)\]\(([^)]*)\)/g, '$1 ($2)').replace(/`/g, ''));
}
