import type { GitHubClient } from '../github/github-client.js';
import type { DeploymentRecord, DeploymentReporter, DeploymentSubject } from './deployment-reporter.js';

/** What the bot keeps in a Deployment's payload: enough to deploy the same image again in a rollback. */
export interface DeploymentPayload {
  image: string;
  rollback: boolean;
}

/** GitHub caps a deployment status description at 140 characters. */
const MAX_DESCRIPTION = 140;

/**
 * GitHub Deployments of the app repo, one per deploy, with `in_progress` then `success` (the config commit as log
 * URL) or `failure`. A write GitHub refuses is reported to `onError` and never fails the deploy itself.
 */
export class GitHubDeployments implements DeploymentReporter {
  constructor(
    private readonly octokit: GitHubClient,
    private readonly repo: { owner: string; repo: string },
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(subject: DeploymentSubject): Promise<DeploymentRecord> {
    let id: number | undefined;
    try {
      const payload: DeploymentPayload = { image: subject.image, rollback: subject.rollback ?? false };
      const { data } = await this.octokit.rest.repos.createDeployment({
        ...this.repo,
        ref: subject.sha,
        environment: subject.environment,
        description: clip(subject.description),
        // The commit is deployed as built: GitHub must neither merge the default branch in nor wait for checks.
        auto_merge: false,
        required_contexts: [],
        payload: payload as unknown as Record<string, unknown>,
        production_environment: subject.environment === 'production',
      });
      id = 'id' in data ? data.id : undefined;
      if (id !== undefined) await this.status(id, 'in_progress', subject.description);
    } catch (error) {
      this.onError(error);
    }
    return {
      succeed: (logUrl, description) => (id === undefined ? Promise.resolve() : this.status(id, 'success', description, logUrl)),
      fail: (description, logUrl) => (id === undefined ? Promise.resolve() : this.status(id, 'failure', description, logUrl)),
    };
  }

  private async status(id: number, state: 'in_progress' | 'success' | 'failure', description: string, logUrl?: string): Promise<void> {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        ...this.repo,
        deployment_id: id,
        state,
        description: clip(description),
        ...(logUrl ? { log_url: logUrl } : {}),
      });
    } catch (error) {
      this.onError(error);
    }
  }
}

function clip(text: string): string {
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}
