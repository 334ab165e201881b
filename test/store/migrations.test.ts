import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { migrate, MIGRATIONS, schemaVersion, StoreError, type Migration } from '../../src/store/migrations.js';
import { RunStore } from '../../src/store/run-store.js';

const SHA = '5a1b2c3d4e5f60718293a4b5c6d7e8f901234567';

/** What `fn` throws; undefined when it returns. */
function thrownBy(fn: () => void): StoreError | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error as StoreError;
  }
}

describe('src/store/migrations', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 's2i-bot-migrations-'));
    path = join(dir, 's2i-bot.db');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers its steps 1, 2, 3, ... in order', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
  });

  it('creates a new database at the newest version, and does nothing the second time', () => {
    const db = new Database(':memory:');

    const first = migrate(db);
    const second = migrate(db);

    expect(first).toEqual({ from: 0, to: MIGRATIONS.length });
    expect(second).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    db.close();
  });

  it('opens a version 1 database with a run in it and migrates it, keeping the run', () => {
    const v1 = new Database(path);
    migrate(v1, 1);
    v1.prepare(
      `INSERT INTO runs (repo, sha, environment, branch, kind, state, installation_id, build_check_run_id, created_at, updated_at)
       VALUES ('acme/hello', ?, 'production', 'main', 'push', 'building', 42, 555, 1000, 2000)`,
    ).run(SHA);
    v1.prepare("INSERT INTO deliveries (id, event, received_at) VALUES ('d-1', 'push', 1000)").run();
    const versionBefore = schemaVersion(v1);
    v1.close();

    const store = RunStore.open({ path });
    try {
      expect(versionBefore).toBe(1);
      expect(store.inFlight()).toEqual([
        { id: 1, repo: 'acme/hello', sha: SHA, environment: 'production', branch: 'main', kind: 'push', state: 'building', installationId: 42, buildCheckRunId: 555, createdAt: 1000, updatedAt: 2000 },
      ]);
      // A run of the old schema has no session: it belongs to no process alive now.
      expect(store.interrupted().map((run) => run.id)).toEqual([1]);
      expect(store.markDelivery('d-1', 'push')).toBe(false);
      expect(store.instance).toMatch(/^[0-9a-f]{12}$/);
    } finally {
      store.close();
    }
    const reopened = new Database(path, { readonly: true });
    expect(schemaVersion(reopened)).toBe(MIGRATIONS.length);
    reopened.close();
  });

  it('rolls a failing step back with its version, and says which step failed', () => {
    const db = new Database(':memory:');
    const steps: Migration[] = [
      { version: 1, description: 'a table', sql: 'CREATE TABLE one (id INTEGER);' },
      { version: 2, description: 'a broken step', sql: 'CREATE TABLE two (id INTEGER); INSERT INTO missing VALUES (1);' },
    ];

    const failure = thrownBy(() => migrate(db, 2, steps));

    expect(failure).toBeInstanceOf(StoreError);
    expect(failure?.message).toBe('migrating the run store :memory: to version 2 (a broken step) failed: no such table: missing');
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('one', 'two')").all()).toEqual([{ name: 'one' }]);
    db.close();
  });

  it('refuses a database written by a newer version, naming S2I_DATA_DIR', () => {
    const newer = new Database(path);
    newer.pragma('user_version = 99');
    newer.close();

    const failure = thrownBy(() => RunStore.open({ path }).close());

    expect(failure).toBeInstanceOf(StoreError);
    expect(failure?.message).toBe(`the run store ${path} has schema version 99, newer than this s2i-bot knows (${MIGRATIONS.length})`);
    expect(failure?.hint).toBe('run the s2i-bot version that wrote it, or point S2I_DATA_DIR at another directory');
  });
});
