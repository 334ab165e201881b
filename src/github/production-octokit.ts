import { ProbotOctokit } from 'probot';

/** Retries of one request after GitHub's primary or secondary rate limit, or a 5xx answer. */
const RATE_LIMIT_RETRIES = 2;

interface RetryContext {
  method: string;
  url: string;
}

/**
 * The Octokit the running bot uses: Probot's, with the throttling plugin told to wait out secondary rate limits
 * (its default only logs them) and primary ones, a bounded number of times. The retry plugin already retries 5xx.
 */
export const ProductionOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: {
    enabled: true,
    onRateLimit: (retryAfter: number, _request: RetryContext, _octokit: unknown, retryCount: number) => retryCount < RATE_LIMIT_RETRIES && retryAfter <= 60 * 15,
    onSecondaryRateLimit: (retryAfter: number, _request: RetryContext, _octokit: unknown, retryCount: number) => retryCount < RATE_LIMIT_RETRIES && retryAfter <= 60 * 5,
  },
}));
