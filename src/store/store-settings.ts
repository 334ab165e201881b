import { resolve } from 'node:path';

/** The database file's name inside `S2I_DATA_DIR`. */
export const DATABASE_FILE = 's2i-bot.db';

/** Where the run store lives. */
export interface StoreSettings {
  /**
   * The database (`S2I_DATA_DIR`/s2i-bot.db; `S2I_DATA_DIR` defaults to `./data`, relative to the working
   * directory). `S2I_DATA_DIR=:memory:` keeps it in memory: nothing survives a restart.
   */
  path: string;
}

/** Reads the store settings from `S2I_DATA_DIR`. */
export function loadStoreSettings(env: NodeJS.ProcessEnv = process.env): StoreSettings {
  const dir = env.S2I_DATA_DIR?.trim() || './data';
  if (dir === ':memory:') return { path: ':memory:' };
  return { path: resolve(dir, DATABASE_FILE) };
}
