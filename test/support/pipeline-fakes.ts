import type { ConfigRepo, ConfigRepoWrite, ReadFile, WriteOutcome } from '../../src/gitops/config-repo.js';
import type { CheckName, CheckOutput, Conclusion } from '../../src/report/check-output.js';
import type { CheckReporter, RunReporter } from '../../src/report/check-reporter.js';

/** One thing a check showed: its progress or its conclusion. */
export interface ShownOutput {
  check: CheckName;
  conclusion: Conclusion | 'in_progress';
  output: CheckOutput;
}

/** A RunReporter that keeps everything the checks showed, as GitHub would store it. */
export class ShownChecks implements RunReporter {
  readonly shown: ShownOutput[] = [];

  check(name: CheckName): CheckReporter {
    const shown = this.shown;
    const state = { started: false, completed: false };
    return {
      get started() {
        return state.started;
      },
      get completed() {
        return state.completed;
      },
      async progress(output) {
        if (state.completed) return;
        state.started = true;
        shown.push({ check: name, conclusion: 'in_progress', output });
      },
      async complete(conclusion, output) {
        if (state.completed) return;
        state.started = state.completed = true;
        shown.push({ check: name, conclusion, output });
      },
    };
  }

  /** `<check> <conclusion>: <title>` of every conclusion. */
  conclusions(): string[] {
    return this.shown.filter((entry) => entry.conclusion !== 'in_progress').map((entry) => `${entry.check} ${entry.conclusion}: ${entry.output.title}`);
  }
}

/** A config repo in memory: what it holds, and each write that passed the policy check. */
export class MemoryConfigRepo implements ConfigRepo {
  readonly description = 'acme/cluster-config@main';
  readonly writes: ConfigRepoWrite[] = [];

  constructor(private readonly files: Record<string, string>) {}

  async readFile(path: string): Promise<string | undefined> {
    return this.files[path];
  }

  async write(change: ConfigRepoWrite, check?: (read: ReadFile) => Promise<void>): Promise<WriteOutcome> {
    if (check) await check((path) => this.readFile(path));
    this.writes.push(change);
    return { status: 'committed', commitSha: 'c0ffee'.padEnd(40, '0'), url: 'https://github.com/acme/cluster-config/commit/c0ffee', attempts: 1 };
  }
}
