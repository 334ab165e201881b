import type { GitHubClient } from '../github/github-client.js';
import type { CheckName, CheckOutput, Conclusion } from './check-output.js';
import type { CheckLinks, CheckReporter, RunReporter } from './check-reporter.js';

export interface GitHubChecksOptions {
  owner: string;
  repo: string;
  headSha: string;
  /** Shortest time between two in-progress updates of one check run (log refreshes), in ms. */
  refreshIntervalMs: number;
  /** Where a failed check-run write is reported; never thrown into the pipeline. */
  onError: (error: unknown, name: CheckName) => void;
  /** Told each check run's id once GitHub made it (the run store keeps it, to conclude it after a crash). */
  onCreated?: (name: CheckName, id: number) => void;
}

/** Check runs on the commit being built, written through the Checks API. */
export class GitHubChecks implements RunReporter {
  private readonly checks = new Map<CheckName, GitHubCheckRun>();

  constructor(
    private readonly octokit: GitHubClient,
    private readonly options: GitHubChecksOptions,
  ) {}

  /** The checks made so far, in the order they were first asked for. */
  get made(): GitHubCheckRun[] {
    return [...this.checks.values()];
  }

  check(name: CheckName): GitHubCheckRun {
    let check = this.checks.get(name);
    if (!check) {
      check = new GitHubCheckRun(this.octokit, name, this.options);
      this.checks.set(name, check);
    }
    return check;
  }
}

/**
 * One check run: created on the first call, then updated in place. In-progress updates are rate-limited
 * (the latest output wins; one trailing update is sent when the interval has passed), so a chatty build log
 * costs at most one request per interval.
 */
export class GitHubCheckRun implements CheckReporter {
  /** The check run's page on GitHub, once created. */
  url: string | undefined;
  /** How it concluded, and the title it concluded with. */
  outcome: { conclusion: Conclusion; title: string } | undefined;
  private id: number | undefined;
  private creating: Promise<void> | undefined;
  private lastUpdate = 0;
  private pending: CheckOutput | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private done = false;

  constructor(
    private readonly octokit: GitHubClient,
    readonly name: CheckName,
    private readonly options: GitHubChecksOptions,
  ) {}

  get started(): boolean {
    return this.creating !== undefined;
  }

  get completed(): boolean {
    return this.done;
  }

  async progress(output: CheckOutput): Promise<void> {
    if (this.done) return;
    if (!this.creating) {
      this.creating = this.create({ status: 'in_progress', started_at: new Date().toISOString(), output });
      this.lastUpdate = Date.now();
      return this.creating;
    }
    this.pending = output;
    const wait = this.lastUpdate + this.options.refreshIntervalMs - Date.now();
    if (wait > 0) {
      this.timer ??= setTimeout(() => this.flush(), wait);
      return;
    }
    return this.flush();
  }

  async complete(conclusion: Conclusion, output: CheckOutput, links: CheckLinks = {}): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.outcome = { conclusion, title: output.title };
    clearTimeout(this.timer);
    this.pending = undefined;
    const body = {
      status: 'completed' as const,
      conclusion,
      completed_at: new Date().toISOString(),
      output,
      ...(links.detailsUrl ? { details_url: links.detailsUrl } : {}),
      ...(links.actions && links.actions.length > 0 ? { actions: links.actions.slice(0, 3) } : {}),
    };
    if (!this.creating) {
      this.creating = this.create(body);
      return this.creating;
    }
    await this.creating;
    await this.inFlight;
    await this.update(body);
  }

  private flush(): Promise<void> {
    this.timer = undefined;
    const output = this.pending;
    if (!output || this.done) return Promise.resolve();
    this.pending = undefined;
    this.lastUpdate = Date.now();
    this.inFlight = this.inFlight.then(async () => {
      await this.creating;
      if (!this.done) await this.update({ output });
    });
    return this.inFlight;
  }

  private async create(body: CreateBody): Promise<void> {
    try {
      const { data } = await this.octokit.rest.checks.create({
        owner: this.options.owner,
        repo: this.options.repo,
        name: this.name,
        head_sha: this.options.headSha,
        ...body,
      });
      this.id = data.id;
      this.url = data.html_url ?? undefined;
      this.options.onCreated?.(this.name, data.id);
    } catch (error) {
      this.options.onError(error, this.name);
    }
  }

  private async update(body: UpdateBody): Promise<void> {
    // Creating failed (already reported): there is nothing to update.
    if (this.id === undefined) return;
    try {
      await this.octokit.rest.checks.update({ owner: this.options.owner, repo: this.options.repo, check_run_id: this.id, ...body });
    } catch (error) {
      this.options.onError(error, this.name);
    }
  }
}

type CreateBody = Omit<Parameters<GitHubClient['rest']['checks']['create']>[0] & object, 'owner' | 'repo' | 'name' | 'head_sha'>;
type UpdateBody = Omit<Parameters<GitHubClient['rest']['checks']['update']>[0] & object, 'owner' | 'repo' | 'check_run_id'>;
