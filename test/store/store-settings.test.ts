import { resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { loadStoreSettings } from '../../src/store/store-settings.js';

describe('src/store/store-settings', () => {
  it('keeps the database in ./data by default', () => {
    expect(loadStoreSettings({})).toEqual({ path: resolve('data', 's2i-bot.db') });
  });

  it('reads S2I_DATA_DIR, relative to the working directory or absolute', () => {
    expect(loadStoreSettings({ S2I_DATA_DIR: 'state' })).toEqual({ path: resolve('state', 's2i-bot.db') });
    expect(loadStoreSettings({ S2I_DATA_DIR: '/var/lib/s2i-bot' })).toEqual({ path: '/var/lib/s2i-bot/s2i-bot.db' });
  });

  it('keeps the store in memory with S2I_DATA_DIR=:memory:', () => {
    expect(loadStoreSettings({ S2I_DATA_DIR: ':memory:' })).toEqual({ path: ':memory:' });
  });
});
