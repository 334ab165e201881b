import { DEFAULT_ALLOWED_KINDS } from '../render/render-manifests.js';
import { SettingsError } from './build-settings.js';

/** Operator settings of the bot itself, read from `S2I_*` environment variables. */
export interface BotSettings {
  /** Runs (builds and deploys) executing at once (`S2I_BUILD_CONCURRENCY`; default 2). */
  concurrency: number;
  /** How long running builds may finish after SIGTERM before they are cancelled (`S2I_SHUTDOWN_GRACE_SECONDS`; default 60). */
  shutdownGraceMs: number;
  /** Shortest time between two log refreshes of a running `s2i/build` check (`S2I_CHECK_REFRESH_SECONDS`; default 5). */
  checkRefreshMs: number;
  /**
   * Build and push, render and check the policy, but write nothing to config repos (`S2I_DRY_RUN`: `true`/`false`;
   * default false). `s2i/deploy` then concludes neutral, listing what it would have committed.
   */
  dryRun: boolean;
  /**
   * Kinds the config repo may receive: Deployment, Service and Kustomization, plus those of `S2I_ALLOWED_KINDS`
   * (comma-separated, e.g. `ConfigMap,HorizontalPodAutoscaler`) for operators whose templates write more.
   */
  allowedKinds: string[];
}

/** Reads the bot settings; an invalid value is an error naming the variable and the expected form. */
export function loadBotSettings(env: NodeJS.ProcessEnv = process.env): BotSettings {
  return {
    concurrency: positiveInteger('S2I_BUILD_CONCURRENCY', env.S2I_BUILD_CONCURRENCY, 2),
    shutdownGraceMs: positiveInteger('S2I_SHUTDOWN_GRACE_SECONDS', env.S2I_SHUTDOWN_GRACE_SECONDS, 60) * 1000,
    checkRefreshMs: positiveInteger('S2I_CHECK_REFRESH_SECONDS', env.S2I_CHECK_REFRESH_SECONDS, 5) * 1000,
    dryRun: flag('S2I_DRY_RUN', env.S2I_DRY_RUN),
    allowedKinds: allowedKinds(env.S2I_ALLOWED_KINDS),
  };
}

/** The default kinds and the operator's additions; a kind must be spelt as Kubernetes does (`ConfigMap`). */
function allowedKinds(value: string | undefined): string[] {
  const extra = (value ?? '')
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
  const wrong = extra.find((kind) => !/^[A-Z][A-Za-z0-9]{0,62}$/.test(kind));
  if (wrong !== undefined) throw new SettingsError(`S2I_ALLOWED_KINDS must be comma-separated Kubernetes kinds such as ConfigMap,HorizontalPodAutoscaler, got "${value}" ("${wrong}" is not a kind)`);
  return [...new Set([...DEFAULT_ALLOWED_KINDS, ...extra])];
}

function flag(name: string, value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  throw new SettingsError(`${name} must be true or false, got "${value}"`);
}

function positiveInteger(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) throw new SettingsError(`${name} must be a whole number of at least 1, got "${value}"`);
  return Number(value);
}
