import type { ProbotOctokit } from 'probot';

/** The authenticated Octokit an installation's handlers get (`context.octokit`). */
export type GitHubClient = InstanceType<typeof ProbotOctokit>;
