#!/usr/bin/env node
import { run } from 'probot';
import { ProductionOctokit } from './github/production-octokit.js';
import app, { metrics } from './index.js';

// `npm start`: Probot's server with the operator settings from the environment (APP_ID, PRIVATE_KEY(_PATH),
// WEBHOOK_SECRET, HOST, PORT, LOG_LEVEL, GHE_HOST, GHE_PROTOCOL; the bot's own S2I_* settings).
await run(app, { Octokit: ProductionOctokit.defaults({ githubMetrics: metrics }) });
