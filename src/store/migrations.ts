import type { Database } from 'better-sqlite3';

/** One step of the run store's schema; `version` is what `PRAGMA user_version` reads once it is applied. */
export interface Migration {
  version: number;
  /** What the step adds, for the error a failed step raises. */
  description: string;
  /** Statements of the step; they run in the same transaction as the version bump. */
  sql: string;
}

/** Run states that are still under way; the rest (`done`, `failed`, `cancelled`) are final. */
export const LIVE_STATES_SQL = "('queued', 'building', 'pushing', 'deploying')";

/**
 * The schema, in order. Never edit a step that has shipped: add one. Each is applied once, in a transaction with
 * its version, so a crash mid-migration leaves the database at the previous version.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'deliveries and runs',
    sql: `
      CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        event TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE INDEX deliveries_by_age ON deliveries (received_at);
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        repo TEXT NOT NULL COLLATE NOCASE,
        sha TEXT NOT NULL,
        environment TEXT,
        branch TEXT,
        kind TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'building', 'pushing', 'deploying', 'done', 'failed', 'cancelled')),
        installation_id INTEGER,
        delivery_id TEXT,
        build_check_run_id INTEGER,
        deploy_check_run_id INTEGER,
        image TEXT,
        image_digest TEXT,
        config_commit TEXT,
        deployed_at INTEGER,
        error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX runs_one_live_per_key ON runs (repo, sha, ifnull(environment, '')) WHERE state IN ${LIVE_STATES_SQL};
      CREATE INDEX runs_by_key ON runs (repo, sha, environment);
      CREATE INDEX runs_by_branch ON runs (repo, branch, environment, state);
      CREATE INDEX runs_by_deploy ON runs (repo, environment, deployed_at) WHERE deployed_at IS NOT NULL;
    `,
  },
  {
    version: 2,
    description: 'instance id, the process that runs each run, and the comment a command run answers in',
    sql: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      ALTER TABLE runs ADD COLUMN session TEXT;
      ALTER TABLE runs ADD COLUMN comment_id INTEGER;
      CREATE INDEX runs_by_state ON runs (state) WHERE state IN ${LIVE_STATES_SQL};
    `,
  },
];

/** The schema version of a database: 0 when it is new. */
export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The run store cannot use its database: what went wrong and what to do. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/**
 * Brings a database up to `target` (default: the newest version) and returns the versions before and after.
 * A database written by a newer s2i-bot is refused rather than guessed at.
 */
export function migrate(db: Database, target = MIGRATIONS[MIGRATIONS.length - 1].version, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const from = schemaVersion(db);
  const newest = migrations[migrations.length - 1]?.version ?? 0;
  if (from > newest) {
    throw new StoreError(
      `the run store ${db.name} has schema version ${from}, newer than this s2i-bot knows (${newest})`,
      'run the s2i-bot version that wrote it, or point S2I_DATA_DIR at another directory',
    );
  }
  for (const migration of migrations) {
    if (migration.version <= from || migration.version > target) continue;
    try {
      db.transaction(() => {
        db.exec(migration.sql);
        // Inside the transaction: a failed step rolls back its version too.
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } catch (error) {
      throw new StoreError(`migrating the run store ${db.name} to version ${migration.version} (${migration.description}) failed: ${(error as Error).message}`, 'restore the data directory from a backup, or report the error', { cause: error });
    }
  }
  return { from, to: schemaVersion(db) };
}
