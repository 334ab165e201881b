import { loadBotSettings } from '../../src/settings/bot-settings.js';

describe('settings/bot-settings', () => {
  it('defaults to two concurrent runs and a 5 s check refresh', () => {
    expect(loadBotSettings({})).toEqual({ concurrency: 2, shutdownGraceMs: 60_000, checkRefreshMs: 5000, dryRun: false, allowedKinds: ['Deployment', 'Service', 'Kustomization'] });
  });

  it('reads S2I_BUILD_CONCURRENCY and S2I_CHECK_REFRESH_SECONDS', () => {
    expect(loadBotSettings({ S2I_BUILD_CONCURRENCY: '4', S2I_CHECK_REFRESH_SECONDS: '10', S2I_DRY_RUN: 'true', S2I_SHUTDOWN_GRACE_SECONDS: '5' })).toEqual({ concurrency: 4, shutdownGraceMs: 5000, checkRefreshMs: 10_000, dryRun: true, allowedKinds: ['Deployment', 'Service', 'Kustomization'] });
  });

  it.each(['0', '-1', '1.5', 'two'])('refuses S2I_BUILD_CONCURRENCY=%s with the expected form', (value) => {
    expect(() => loadBotSettings({ S2I_BUILD_CONCURRENCY: value })).toThrow(`S2I_BUILD_CONCURRENCY must be a whole number of at least 1, got "${value}"`);
  });

  it.each([
    ['yes', true],
    ['1', true],
    ['FALSE', false],
    ['0', false],
  ])('reads S2I_DRY_RUN=%s as %s', (value, dryRun) => {
    expect(loadBotSettings({ S2I_DRY_RUN: value }).dryRun).toBe(dryRun);
  });

  it('refuses an S2I_DRY_RUN that is not a yes or no', () => {
    expect(() => loadBotSettings({ S2I_DRY_RUN: 'maybe' })).toThrow('S2I_DRY_RUN must be true or false, got "maybe"');
  });

  it('adds the kinds of S2I_ALLOWED_KINDS to Deployment, Service and Kustomization, once each', () => {
    expect(loadBotSettings({ S2I_ALLOWED_KINDS: ' ConfigMap, HorizontalPodAutoscaler,Service ' }).allowedKinds).toEqual(['Deployment', 'Service', 'Kustomization', 'ConfigMap', 'HorizontalPodAutoscaler']);
  });

  it.each(['configmap', 'Config Map', 'ConfigMap,*', 'apps/v1/Deployment'])('refuses S2I_ALLOWED_KINDS=%j, naming what is not a kind', (value) => {
    expect(() => loadBotSettings({ S2I_ALLOWED_KINDS: value })).toThrow(`S2I_ALLOWED_KINDS must be comma-separated Kubernetes kinds such as ConfigMap,HorizontalPodAutoscaler, got "${value}"`);
  });
});
