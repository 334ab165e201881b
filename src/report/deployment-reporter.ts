/** What a deploy is about, for the record GitHub keeps per environment. */
export interface DeploymentSubject {
  environment: string;
  /** The app commit being deployed. */
  sha: string;
  /** `repository@sha256:…`. */
  image: string;
  /** One line shown in GitHub's deployment list. */
  description: string;
  /** Whether this deploy is a rollback (kept in the payload, so the next rollback can skip it). */
  rollback?: boolean;
}

/** One deploy as GitHub shows it: a Deployment whose statuses go in_progress → success or failure. */
export interface DeploymentRecord {
  succeed(logUrl: string | undefined, description: string): Promise<void>;
  fail(description: string, logUrl?: string): Promise<void>;
}

/** Records deploys (GitHub Deployments for the bot; nothing for the CLI). Never throws into the run. */
export interface DeploymentReporter {
  start(subject: DeploymentSubject): Promise<DeploymentRecord>;
}
