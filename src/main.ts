#!/usr/bin/env node
import { run, type Probot } from 'probot';
import { ProductionOctokit } from './github/production-octokit.js';
import type { GitHubClient } from './github/github-client.js';
import app, { active, bot, engine, loaded, metrics, queue, store } from './index.js';
import { shutDown } from './queue/shut-down.js';

// `npm start`: Probot's server with the operator settings from the environment (APP_ID, PRIVATE_KEY(_PATH),
// WEBHOOK_SECRET, HOST, PORT, LOG_LEVEL, GHE_HOST, GHE_PROTOCOL; the bot's own S2I_* settings).
const server = await run(app, { Octokit: ProductionOctokit.defaults({ githubMetrics: metrics }) });
process.once('SIGTERM', () => {
  void shutDown({
    store,
    engine,
    queue,
    active,
    graceMs: bot.shutdownGraceMs,
    stopServer: () => server.stop(),
    octokitFor: async (id) => (await (loaded.app as Probot).auth(id)) as unknown as GitHubClient,
    log: (loaded.app as Probot).log,
  }).finally(() => process.exit(0));
});
