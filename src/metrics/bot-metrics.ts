import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PipelineEvent, PipelinePhase, PipelineResult } from '../pipeline/run-pipeline.js';

/** Every metric of the bot starts with this; the process metrics too. */
export const METRIC_PREFIX = 's2i_bot_';

/** Why a delivery was refused before any handler saw it. */
export type RejectionReason = 'signature' | 'malformed';

/** What became of a run the pipeline finished. */
export type RunOutcome = 'succeeded' | 'failed' | 'held_back';

/** The queue as the gauges read it, at scrape time. */
export interface QueueGauges {
  /** Runs waiting for a free build slot. */
  readonly waitingCount: number;
  /** Runs holding a build slot: the concurrency in use. */
  readonly runningCount: number;
}

export interface BotMetricsOptions {
  /** The queue whose depth and running runs are exported; without one the gauges stay 0. */
  queue?: QueueGauges;
  /** Also export Node.js process metrics (CPU, memory, event loop lag, …) as `s2i_bot_process_*`, `s2i_bot_nodejs_*`. */
  processMetrics?: boolean;
}

/** One run as the metrics follow it: fed the pipeline's events, then its result. */
export interface RunObserver {
  onEvent(event: PipelineEvent): void;
  finish(result: PipelineResult): void;
}

const REJECTION_REASONS: RejectionReason[] = ['signature', 'malformed'];
const RUN_OUTCOMES: RunOutcome[] = ['succeeded', 'failed', 'held_back'];
const PHASES: PipelinePhase[] = ['builder', 'source', 'artifacts', 'assemble', 'runtime', 'commit', 'push', 'render', 'gitops'];

/**
 * Phases last from 50 ms (rendering) to the build timeout (30 minutes by default): buckets cover both ends, with
 * more of them where builds usually land.
 */
const PHASE_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

/**
 * The bot's Prometheus metrics, in a registry of their own (no global default registry, so every bot and every
 * test gets fresh counters). Names follow Prometheus conventions: base units, `_total` for counters.
 */
export class BotMetrics {
  readonly registry = new Registry();
  private readonly webhooksReceived: Counter<'event'>;
  private readonly webhooksRejected: Counter<'reason'>;
  private readonly runs: Counter<'outcome'>;
  private readonly phaseFailures: Counter<'phase'>;
  private readonly phaseDuration: Histogram<'phase'>;
  private readonly githubRequests: Counter<'method' | 'status'>;
  private readonly rateLimitRemaining: Gauge;
  private readonly configRepoRetries: Counter;

  constructor(options: BotMetricsOptions = {}) {
    const registers = [this.registry];
    this.webhooksReceived = new Counter({
      name: `${METRIC_PREFIX}webhooks_received_total`,
      help: 'Webhook deliveries received with a valid signature, by event (x-github-event).',
      labelNames: ['event'],
      registers,
    });
    this.webhooksRejected = new Counter({
      name: `${METRIC_PREFIX}webhooks_rejected_total`,
      help: 'Webhook deliveries refused before any handler ran: signature (missing or not matching WEBHOOK_SECRET), malformed (headers, content type or JSON).',
      labelNames: ['reason'],
      registers,
    });
    this.runs = new Counter({
      name: `${METRIC_PREFIX}runs_total`,
      help: 'Runs the pipeline finished, by outcome: succeeded, failed, held_back (a pinned environment).',
      labelNames: ['outcome'],
      registers,
    });
    this.phaseFailures = new Counter({
      name: `${METRIC_PREFIX}run_phase_failures_total`,
      help: 'Failed runs by the phase they were in when they failed (none: before the first phase).',
      labelNames: ['phase'],
      registers,
    });
    this.phaseDuration = new Histogram({
      name: `${METRIC_PREFIX}phase_duration_seconds`,
      help: 'Wall time of each pipeline phase of a run (builder, source, artifacts, assemble, runtime, commit, push, render, gitops).',
      labelNames: ['phase'],
      buckets: PHASE_BUCKETS,
      registers,
    });
    const queue = options.queue;
    new Gauge({
      name: `${METRIC_PREFIX}queue_depth`,
      help: 'Runs waiting for a free build slot.',
      registers,
      collect() {
        this.set(queue?.waitingCount ?? 0);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}builds_running`,
      help: 'Runs holding a build slot now (the concurrency in use, at most S2I_BUILD_CONCURRENCY).',
      registers,
      collect() {
        this.set(queue?.runningCount ?? 0);
      },
    });
    this.githubRequests = new Counter({
      name: `${METRIC_PREFIX}github_api_requests_total`,
      help: 'GitHub API requests by method and final HTTP status (after retries); status "error" when no answer came.',
      labelNames: ['method', 'status'],
      registers,
    });
    this.rateLimitRemaining = new Gauge({
      name: `${METRIC_PREFIX}github_rate_limit_remaining`,
      help: 'x-ratelimit-remaining of the latest GitHub API answer that had one.',
      registers,
    });
    this.configRepoRetries = new Counter({
      name: `${METRIC_PREFIX}config_repo_write_retries_total`,
      help: 'Extra attempts config-repo writes needed because the branch moved underneath (attempts - 1 of each deploy).',
      registers,
    });
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    // Series that exist from the start at 0, so a rate() or an alert on them works before the first occurrence.
    for (const reason of REJECTION_REASONS) this.webhooksRejected.inc({ reason }, 0);
    for (const outcome of RUN_OUTCOMES) this.runs.inc({ outcome }, 0);
    for (const phase of PHASES) this.phaseFailures.inc({ phase }, 0);
  }

  /** A delivery whose signature matched. */
  webhookReceived(event: string): void {
    this.webhooksReceived.inc({ event });
  }

  webhookRejected(reason: RejectionReason): void {
    this.webhooksRejected.inc({ reason });
  }

  /** A GitHub API answer (or `'error'` when none came); `rateLimitRemaining` from its x-ratelimit-remaining header. */
  githubResponse(method: string, status: number | 'error', rateLimitRemaining?: number): void {
    this.githubRequests.inc({ method: method.toUpperCase(), status: String(status) });
    if (rateLimitRemaining !== undefined && Number.isFinite(rateLimitRemaining)) this.rateLimitRemaining.set(rateLimitRemaining);
  }

  /** Follows one run: pass `onEvent` to the pipeline and its result to `finish`. */
  observeRun(): RunObserver {
    let phase: PipelinePhase | undefined;
    return {
      onEvent: (event) => {
        if (event.kind === 'phase') phase = event.phase;
      },
      finish: (result) => {
        for (const [name, ms] of Object.entries(result.timings)) this.phaseDuration.observe({ phase: name }, ms / 1000);
        const outcome: RunOutcome = result.ok ? 'succeeded' : result.heldBack ? 'held_back' : 'failed';
        this.runs.inc({ outcome });
        if (outcome === 'failed') this.phaseFailures.inc({ phase: phase ?? 'none' });
        if (result.deploy && result.deploy.attempts > 1) this.configRepoRetries.inc(result.deploy.attempts - 1);
      },
    };
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
