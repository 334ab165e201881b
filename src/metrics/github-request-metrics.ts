import type { BotMetrics } from './bot-metrics.js';

/** The Octokit option the plugin reads: where to count (none: the plugin does nothing). */
export interface GitHubMetricsOptions {
  githubMetrics?: Pick<BotMetrics, 'githubResponse'>;
}

interface Answer {
  status: number;
  headers: Record<string, unknown>;
}

/** The part of an Octokit the plugin uses: its request hooks. */
interface RequestHooks {
  hook: {
    after(name: 'request', hook: (response: Answer, request: { method: string }) => void): void;
    error(name: 'request', hook: (error: Error & { status?: number; response?: Answer }, request: { method: string }) => unknown): void;
  };
}

/**
 * Octokit plugin: counts every GitHub API request by method and final status, and keeps the latest
 * `x-ratelimit-remaining`. Applied after the retry and throttling plugins, it sees a request once, with the answer
 * that ended it. Octokits Probot makes for installations inherit the option from the app's.
 */
export function githubRequestMetrics(octokit: RequestHooks, options: GitHubMetricsOptions & Record<string, unknown>): void {
  const metrics = options.githubMetrics;
  if (!metrics) return;
  octokit.hook.after('request', (response, request) => metrics.githubResponse(request.method, response.status, rateLimitRemaining(response)));
  octokit.hook.error('request', (error, request) => {
    metrics.githubResponse(request.method, typeof error.status === 'number' ? error.status : 'error', rateLimitRemaining(error.response));
    throw error;
  });
}

function rateLimitRemaining(response: Answer | undefined): number | undefined {
  const value = response?.headers['x-ratelimit-remaining'];
  return value === undefined || value === null || value === '' ? undefined : Number(value);
}
