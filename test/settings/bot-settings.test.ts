import { loadBotSettings } from '../../src/settings/bot-settings.js';

describe('settings/bot-settings', () => {
  it('defaults to two concurrent runs and a 5 s check refresh', () => {
    expect(loadBotSettings({})).toEqual({ concurrency: 2, checkRefreshMs: 5000 });
  });

  it('reads S2I_BUILD_CONCURRENCY and S2I_CHECK_REFRESH_SECONDS', () => {
    expect(loadBotSettings({ S2I_BUILD_CONCURRENCY: '4', S2I_CHECK_REFRESH_SECONDS: '10' })).toEqual({ concurrency: 4, checkRefreshMs: 10_000 });
  });

  it.each(['0', '-1', '1.5', 'two'])('refuses S2I_BUILD_CONCURRENCY=%s with the expected form', (value) => {
    expect(() => loadBotSettings({ S2I_BUILD_CONCURRENCY: value })).toThrow(`S2I_BUILD_CONCURRENCY must be a whole number of at least 1, got "${value}"`);
  });
});
