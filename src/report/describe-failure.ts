import { BuildError } from '../build/build-error.js';
import { CONFIG_PATH, ConfigError } from '../config/load-repo-config.js';
import { ConfigRepoError } from '../gitops/config-repo.js';
import { PolicyError } from '../policy/enforce-policy.js';
import { RenderError } from '../render/render-manifests.js';
import { SourceError } from '../source/prepare-source.js';
import type { Failure } from './check-output.js';

/**
 * Any error of a run as the user reads it: which step, why, what to do. Expected failures carry their own step
 * and hint; anything else is reported as an error of the bot in `fallbackStep`, without a stack trace.
 */
export function describeFailure(error: unknown, fallbackStep: string): Failure {
  if (error instanceof BuildError) return { step: error.step, reason: error.reason, hint: error.hint, logTail: error.logTail };
  if (error instanceof SourceError) return { step: 'source', reason: error.message, hint: error.hint ?? 'fix the source and push again' };
  if (error instanceof RenderError) {
    return {
      step: 'render',
      reason: `the manifests are not valid: ${error.problems.join('; ')}`,
      hint: 'fix the deploy section of .github/s2i.yml (or the templates the operator configured) and push again',
    };
  }
  if (error instanceof ConfigError) return { step: 'config', reason: error.message, hint: `fix ${CONFIG_PATH} and push again` };
  if (error instanceof PolicyError) return { step: 'policy', reason: error.reason, hint: error.hint };
  if (error instanceof ConfigRepoError) return { step: 'config repo', reason: error.reason, hint: error.hint };
  const message = error instanceof Error ? error.message : String(error);
  return {
    step: fallbackStep,
    reason: `s2i-bot failed unexpectedly: ${message}`,
    hint: 'push again to retry; if it keeps failing, ask the operator to read the bot\'s log for this commit',
  };
}
