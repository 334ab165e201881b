import { s2iBot } from './app.js';
import { DockerEngine } from './docker/docker-engine.js';
import { DefaultBranchCache } from './gitops/github-config-repo.js';
import { RunQueue } from './queue/run-queue.js';
import { loadBotSettings } from './settings/bot-settings.js';
import { loadEngineSettings } from './settings/engine-settings.js';

// The Probot entry: wires the app to its production dependencies from the environment. No logic here.
const bot = loadBotSettings();
export default s2iBot({
  engine: new DockerEngine(),
  settings: loadEngineSettings(),
  queue: new RunQueue({ concurrency: bot.concurrency, onError: (error, key) => console.error(`run ${key} failed unexpectedly:`, error) }),
  env: process.env,
  checkRefreshMs: bot.checkRefreshMs,
  defaultBranches: new DefaultBranchCache(),
  dryRun: bot.dryRun,
});
