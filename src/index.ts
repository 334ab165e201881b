import type { Probot } from 'probot';
import { s2iBot } from './app.js';
import { DockerEngine } from './docker/docker-engine.js';
import { CommitFileCache } from './gitops/commit-file-cache.js';
import { DefaultBranchCache } from './gitops/github-config-repo.js';
import { BotMetrics } from './metrics/bot-metrics.js';
import { ActiveRuns } from './queue/active-runs.js';
import { RunQueue } from './queue/run-queue.js';
import { limitWebhookPayloads } from './security/limit-webhook-payloads.js';
import { loadBotSettings } from './settings/bot-settings.js';
import { loadEngineSettings } from './settings/engine-settings.js';
import { RunStore } from './store/run-store.js';
import { loadStoreSettings } from './store/store-settings.js';

// The Probot entry: wires the app to its production dependencies from the environment. No logic here.
export const bot = loadBotSettings();
export const queue = new RunQueue({ concurrency: bot.concurrency });
/** Runs across restarts, in `S2I_DATA_DIR`. */
export const store = RunStore.open({ path: loadStoreSettings().path });
export const active = new ActiveRuns();
/** The Probot app, once the server loaded it. */
export const loaded: { app?: Probot } = {};
export const engine = new DockerEngine();
/** The one registry of the process: served at /metrics; `npm start` counts GitHub requests into it too. */
export const metrics = new BotMetrics({ queue, processMetrics: true });
// Webhook bodies are size-limited before Probot reads them (it would read any size into memory).
export default limitWebhookPayloads(
  s2iBot({
    engine,
    store,
    active,
    recoverOnStart: true,
    onLoad: (app) => (loaded.app = app),
    settings: loadEngineSettings(),
    queue,
    env: process.env,
    checkRefreshMs: bot.checkRefreshMs,
    defaultBranches: new DefaultBranchCache(),
    commitFiles: new CommitFileCache(),
    dryRun: bot.dryRun,
    allowedKinds: bot.allowedKinds,
    metrics,
    // Readiness: the store answers a query (a locked or vanished database file does not).
    readinessChecks: [{ name: 'store', check: async () => void store.inFlight() }],
  }),
);
