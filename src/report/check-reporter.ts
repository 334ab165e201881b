import type { CheckAction, CheckName, CheckOutput, Conclusion } from './check-output.js';

/** What a concluded check links to and offers besides its output. */
export interface CheckLinks {
  detailsUrl?: string;
  /** Buttons (at most 3); an empty list shows none. */
  actions?: CheckAction[];
}

/** One check run as the pipeline drives it; the GitHub and terminal implementations decide how it is shown. */
export interface CheckReporter {
  /** Shows the check as in progress with this output; frequent calls may be coalesced. */
  progress(output: CheckOutput): Promise<void>;
  /** Concludes the check. Later calls to `progress` or `complete` are ignored. */
  complete(conclusion: Conclusion, output: CheckOutput, links?: CheckLinks): Promise<void>;
  /** Whether the check has been shown at all (so a crash handler knows what to conclude). */
  readonly started: boolean;
  readonly completed: boolean;
}

/** Makes the check runs of one run (one commit). */
export interface RunReporter {
  check(name: CheckName): CheckReporter;
}
