import { BotMetrics } from '../../src/metrics/bot-metrics.js';
import type { PipelineResult } from '../../src/pipeline/run-pipeline.js';

const PUSHED = { registry: 'registry.example.com', reference: 'registry.example.com/acme/hello:abc', digest: `sha256:${'d1'.repeat(32)}`, pinned: `registry.example.com/acme/hello@sha256:${'d1'.repeat(32)}` };

async function lines(metrics: BotMetrics): Promise<string[]> {
  return (await metrics.exposition()).text.split('\n');
}

describe('metrics/bot-metrics', () => {
  it('counts a succeeded deploy, its phases in seconds and the config-repo write retries it needed', async () => {
    const metrics = new BotMetrics();
    const run = metrics.observeRun();

    for (const phase of ['builder', 'source', 'assemble', 'commit', 'push', 'render', 'gitops'] as const) run.onEvent({ kind: 'phase', phase, message: phase });
    run.finish({
      ok: true,
      push: PUSHED,
      deploy: { status: 'committed', commitSha: 'c0ffee', url: 'https://github.com/acme/cluster-config/commit/c0ffee', attempts: 3 },
      timings: { builder: 20, source: 30, assemble: 2500, commit: 400, push: 700, render: 10, gitops: 900 },
    });
    const text = await lines(metrics);

    expect(text).toContain('s2i_bot_runs_total{outcome="succeeded"} 1');
    expect(text).toContain('s2i_bot_runs_total{outcome="failed"} 0');
    expect(text).toContain('s2i_bot_config_repo_write_retries_total 2');
    expect(text).toContain('s2i_bot_phase_duration_seconds_sum{phase="assemble"} 2.5');
    expect(text).toContain('s2i_bot_phase_duration_seconds_bucket{le="2.5",phase="assemble"} 1');
    expect(text).toContain('s2i_bot_phase_duration_seconds_bucket{le="1",phase="assemble"} 0');
    expect(text.filter((line) => /^s2i_bot_run_phase_failures_total\{.*\} [1-9]/.test(line))).toEqual([]);
  });

  it('counts a deploy held back by a pin as held_back, not as a failure', async () => {
    const metrics = new BotMetrics();
    const run = metrics.observeRun();

    run.onEvent({ kind: 'phase', phase: 'push', message: 'Pushing' });
    run.finish({ ok: false, push: PUSHED, heldBack: { sha: 'abc' }, timings: { push: 5 } } as PipelineResult);
    const text = await lines(metrics);

    expect(text).toContain('s2i_bot_runs_total{outcome="held_back"} 1');
    expect(text).toContain('s2i_bot_runs_total{outcome="failed"} 0');
    expect(text).toContain('s2i_bot_run_phase_failures_total{phase="push"} 0');
  });

  it('names the phase a failed run was in last, and "none" when it failed before the first one', async () => {
    const metrics = new BotMetrics();
    const pushFailure = metrics.observeRun();
    const earlyFailure = metrics.observeRun();

    for (const phase of ['builder', 'source', 'assemble', 'commit', 'push'] as const) pushFailure.onEvent({ kind: 'phase', phase, message: phase });
    pushFailure.onEvent({ kind: 'log', stream: 'stdout', line: 'not a phase' });
    pushFailure.finish({ ok: false, timings: { builder: 1, source: 1, assemble: 1, commit: 1, push: 1 } });
    earlyFailure.finish({ ok: false, timings: {} });
    const text = await lines(metrics);

    expect(text).toContain('s2i_bot_runs_total{outcome="failed"} 2');
    expect(text).toContain('s2i_bot_run_phase_failures_total{phase="push"} 1');
    expect(text).toContain('s2i_bot_run_phase_failures_total{phase="none"} 1');
    expect(text).toContain('s2i_bot_run_phase_failures_total{phase="assemble"} 0');
  });

  it('keeps the counters of two bots apart: each has its own registry', async () => {
    const first = new BotMetrics();
    const second = new BotMetrics();

    first.webhookReceived('push');
    const text = await lines(second);

    expect(text.filter((line) => line.startsWith('s2i_bot_webhooks_received_total{'))).toEqual([]);
    expect(await lines(first)).toContain('s2i_bot_webhooks_received_total{event="push"} 1');
  });
});
