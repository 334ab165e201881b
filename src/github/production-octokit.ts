import Bottleneck from 'bottleneck';
import { ProbotOctokit } from 'probot';
import { githubRequestMetrics } from '../metrics/github-request-metrics.js';

/** Retries of one request after GitHub's primary or secondary rate limit. */
const RATE_LIMIT_RETRIES = 2;

/**
 * GitHub's documented secondary limit for content-creating requests is 80 per minute. The throttling plugin's
 * default keeps writes 1 s apart instead, which makes one deploy (7 writes) wait about 6 s. A budget of 80 writes
 * per minute, at most one at a time and 100 ms apart, stays inside the limit and lets a deploy's writes go at once.
 */
// One budget for the process: Probot makes a new Octokit for every event, and they must share it.
const contentWrites = new Bottleneck.Group({ maxConcurrent: 1, minTime: 100, reservoir: 80, reservoirRefreshAmount: 80, reservoirRefreshInterval: 60_000 });

interface RetryContext {
  method: string;
  url: string;
}

/**
 * The Octokit the running bot uses: Probot's, with the throttling plugin told to wait out secondary rate limits
 * (its default only logs them) and primary ones, a bounded number of times. The retry plugin already retries 5xx.
 * Requests are counted into the `githubMetrics` option's metrics when one is given.
 */
export const ProductionOctokit = ProbotOctokit.plugin(githubRequestMetrics).defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: {
    ...(options.throttle as Record<string, unknown> | undefined),
    enabled: true,
    write: contentWrites,
    onRateLimit: (retryAfter: number, _request: RetryContext, _octokit: unknown, retryCount: number) => retryCount < RATE_LIMIT_RETRIES && retryAfter <= 60 * 15,
    onSecondaryRateLimit: (retryAfter: number, _request: RetryContext, _octokit: unknown, retryCount: number) => retryCount < RATE_LIMIT_RETRIES && retryAfter <= 60 * 5,
  },
}));
