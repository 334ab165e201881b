import { s2iBot } from './app.js';
import { DockerEngine } from './docker/docker-engine.js';
import { CommitFileCache } from './gitops/commit-file-cache.js';
import { DefaultBranchCache } from './gitops/github-config-repo.js';
import { BotMetrics } from './metrics/bot-metrics.js';
import { RunQueue } from './queue/run-queue.js';
import { loadBotSettings } from './settings/bot-settings.js';
import { loadEngineSettings } from './settings/engine-settings.js';

// The Probot entry: wires the app to its production dependencies from the environment. No logic here.
const bot = loadBotSettings();
const queue = new RunQueue({ concurrency: bot.concurrency, onError: (error, key) => console.error(`run ${key} failed unexpectedly:`, error) });
/** The one registry of the process: served at /metrics; `npm start` counts GitHub requests into it too. */
export const metrics = new BotMetrics({ queue, processMetrics: true });
export default s2iBot({
  engine: new DockerEngine(),
  settings: loadEngineSettings(),
  queue,
  env: process.env,
  checkRefreshMs: bot.checkRefreshMs,
  defaultBranches: new DefaultBranchCache(),
  commitFiles: new CommitFileCache(),
  dryRun: bot.dryRun,
  metrics,
});
