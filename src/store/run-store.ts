/**
 * The run store: what the bot must remember across restarts, in SQLite (better-sqlite3, synchronous, WAL).
 *
 * API (all calls are synchronous; statements are prepared once per store)
 * - `RunStore.open({ path })` — `path` is a database file (its directory is created) or `:memory:`; the schema is
 *   migrated on open (`migrations.ts`). `close()` when done. `instance` names this data directory for good (build
 *   containers carry it), `session` this process (runs it claims carry it).
 * - `markDelivery(id, event): boolean` — true only the first time a webhook delivery id is seen, also when the
 *   same delivery arrives twice at once: the insert decides.
 * - `claimRun(input, { once? }): RunClaim` — creates a `queued` run unless a live run of the same key
 *   (repo, sha, environment) exists; with `once`, unless any run of the key ever existed (a push is run once; a
 *   rebuild asks again). A refusal returns the run that holds the key.
 * - `advance(id, state, fields?)` — a live run moves to another live state (`building`, `pushing`, `deploying`)
 *   and records fields (check run ids, image, digest, ...); `finish(id, state, fields?)` ends it (`done`,
 *   `failed`, `cancelled`). Both return the updated run, or undefined when it had already ended (for instance
 *   cancelled by a newer push meanwhile): the caller stops then.
 * - `get(id)`, `inFlight()` (every live run), `interrupted()` (live runs of another, dead, session: after a
 *   restart they are resumed, or concluded as interrupted), `adopt(id)` (resume one in this session),
 *   `isRunning(id)` (live in this session).
 * - Supersede: `superseded(newer)` lists the live runs (`queued`, `building`, `pushing`) of another commit for
 *   the same repo, branch and environment claimed before `newer` (claim order is webhook arrival order);
 *   `latestFor(repo, environment)` is the newest run there.
 * - Order of deploys: `lastDeployed(repo, environment)` is the run whose image the environment runs now (set by
 *   `finish(id, 'done', { deployed: true })`); `overtakenBy(id)` is a run created after `id` that has deployed
 *   to the same environment, so an older run must not deploy over it.
 * - `prune()` forgets deliveries older than `deliveryRetentionDays` and finished runs older than
 *   `runRetentionDays`, except the last deployed run of each environment.
 *
 * One bot process per data directory: a second one would take the first one's runs for interrupted ones.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as SqliteDatabase, type Statement } from 'better-sqlite3';
import { LIVE_STATES_SQL, migrate, StoreError } from './migrations.js';

/** How a run was asked for. */
export type RunKind = 'push' | 'pr' | 'command' | 'rerun';

/** Where a run is. The first four are live; `done`, `failed` and `cancelled` are final. */
export type RunState = 'queued' | 'building' | 'pushing' | 'deploying' | 'done' | 'failed' | 'cancelled';

/** States of a run still under way (`inFlight()`). */
export type LiveRunState = 'queued' | 'building' | 'pushing' | 'deploying';
/** States a run ends in; an ended run is never changed again. */
export type FinalRunState = 'done' | 'failed' | 'cancelled';

/** A run is one commit built (and, with an environment, deployed) once. */
export interface RunKey {
  /** `owner/name` of the app repo; compared without regard to case, as GitHub does. */
  repo: string;
  /** The 40-hex commit. */
  sha: string;
  /** The environment deployed to; undefined for a build without deploy (a pull request). */
  environment?: string;
}

/** What a new run starts with. */
export interface NewRun extends RunKey {
  kind: RunKind;
  /** The branch pushed, or the pull request's head branch. */
  branch?: string;
  installationId?: number;
  /** The `x-github-delivery` of the webhook that asked for it. */
  deliveryId?: string;
  /** The comment a command run answers in (edited as it advances). */
  commentId?: number;
}

/** Fields recorded as a run advances; each given one replaces the stored value, absent ones are kept. */
export interface RunFields {
  buildCheckRunId?: number;
  deployCheckRunId?: number;
  commentId?: number;
  /** `repository@sha256:…`, the pinned image. */
  image?: string;
  /** `sha256:…` of the pushed image. */
  imageDigest?: string;
  /** The config repo commit that deployed it. */
  configCommit?: string;
  /** The environment now runs this run's image (committed, or already there); sets `deployedAt`. */
  deployed?: boolean;
  /** Why the run failed or was cancelled, one line as the user reads it. */
  error?: string;
}

/** A run as stored. Times are milliseconds since the epoch. */
export interface Run extends NewRun {
  id: number;
  state: RunState;
  /** The process (store session) running it; another session's live run was interrupted by a restart. */
  session?: string;
  buildCheckRunId?: number;
  deployCheckRunId?: number;
  image?: string;
  imageDigest?: string;
  configCommit?: string;
  deployedAt?: number;
  error?: string;
  createdAt: number;
  updatedAt: number;
}

/** The answer to `claimRun`: the new run, or the run that already holds the key. */
export type RunClaim = { claimed: true; run: Run } | { claimed: false; existing: Run };

export interface RunStoreOptions {
  /** A database file (its directory is created when missing) or `:memory:`. */
  path: string;
  /** Days a delivery id is remembered (default 14; GitHub lets a delivery be redelivered for 3 days). */
  deliveryRetentionDays?: number;
  /** Days a finished run is kept (default 90); the last deployed run of each environment is always kept. */
  runRetentionDays?: number;
  /** The clock, for tests. */
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const FINAL_STATES_SQL = "('done', 'failed', 'cancelled')";
const LIVE: ReadonlySet<RunState> = new Set(['queued', 'building', 'pushing', 'deploying']);

/** A row of `runs` as SQLite returns it. */
interface RunRow {
  id: number;
  repo: string;
  sha: string;
  environment: string | null;
  branch: string | null;
  kind: RunKind;
  state: RunState;
  installation_id: number | null;
  delivery_id: string | null;
  comment_id: number | null;
  session: string | null;
  build_check_run_id: number | null;
  deploy_check_run_id: number | null;
  image: string | null;
  image_digest: string | null;
  config_commit: string | null;
  deployed_at: number | null;
  error: string | null;
  created_at: number;
  updated_at: number;
}

/** Parameters of the statements that record fields: null keeps the stored value. */
interface FieldParams {
  id: number;
  state: RunState;
  now: number;
  buildCheckRunId: number | null;
  deployCheckRunId: number | null;
  commentId: number | null;
  image: string | null;
  imageDigest: string | null;
  configCommit: string | null;
  deployed: number;
  error: string | null;
}

const SET_FIELDS = `
  state = @state,
  updated_at = @now,
  build_check_run_id = coalesce(@buildCheckRunId, build_check_run_id),
  deploy_check_run_id = coalesce(@deployCheckRunId, deploy_check_run_id),
  comment_id = coalesce(@commentId, comment_id),
  image = coalesce(@image, image),
  image_digest = coalesce(@imageDigest, image_digest),
  config_commit = coalesce(@configCommit, config_commit),
  deployed_at = CASE WHEN @deployed = 1 THEN @now ELSE deployed_at END,
  error = coalesce(@error, error)`;

/** The bot's durable memory of deliveries and runs. */
export class RunStore {
  /** Names the data directory for good: build containers carry it, so leftovers of a dead process are found. */
  readonly instance: string;
  /** Names this process: the runs it claims carry it. */
  readonly session = randomBytes(6).toString('hex');

  private readonly now: () => number;
  private readonly deliveryRetentionMs: number;
  private readonly runRetentionMs: number;
  private readonly statements: ReturnType<typeof prepare>;

  private constructor(
    private readonly db: SqliteDatabase,
    options: RunStoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.deliveryRetentionMs = (options.deliveryRetentionDays ?? 14) * DAY_MS;
    this.runRetentionMs = (options.runRetentionDays ?? 90) * DAY_MS;
    this.statements = prepare(db);
    this.statements.insertMeta.run('instance', randomBytes(6).toString('hex'));
    this.instance = (this.statements.meta.get('instance') as { value: string }).value;
  }

  /** Opens (creating and migrating as needed) the store at `options.path`. */
  static open(options: RunStoreOptions): RunStore {
    let db: SqliteDatabase;
    try {
      if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
      db = new Database(options.path);
      db.pragma('journal_mode = WAL');
      // Another process holding a write lock for a moment is waited for, not an error.
      db.pragma('busy_timeout = 5000');
    } catch (error) {
      throw new StoreError(`cannot open the run store ${options.path}: ${(error as Error).message}`, 'make S2I_DATA_DIR a writable directory', { cause: error });
    }
    try {
      migrate(db);
      return new RunStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Closes the database; the store cannot be used afterwards. */
  close(): void {
    this.db.close();
  }

  /** Records a webhook delivery; true only the first time its id is seen. */
  markDelivery(id: string, event: string): boolean {
    return this.statements.insertDelivery.run(id, event, this.now()).changes === 1;
  }

  /**
   * Creates a queued run in this session, unless a live run of the same (repo, sha, environment) exists, or,
   * with `once`, any run of it ever did. Atomic, also against another connection to the same file.
   */
  claimRun(input: NewRun, options: { once?: boolean } = {}): RunClaim {
    return this.db
      .transaction((): RunClaim => {
        const environment = input.environment ?? null;
        if (options.once) {
          const earlier = this.statements.anyForKey.get(input.repo, input.sha, environment) as RunRow | undefined;
          if (earlier) return { claimed: false, existing: toRun(earlier) };
        }
        const now = this.now();
        const row = this.statements.insertRun.get({
          repo: input.repo,
          sha: input.sha,
          environment,
          branch: input.branch ?? null,
          kind: input.kind,
          installationId: input.installationId ?? null,
          deliveryId: input.deliveryId ?? null,
          commentId: input.commentId ?? null,
          session: this.session,
          now,
        }) as RunRow | undefined;
        if (row) return { claimed: true, run: toRun(row) };
        return { claimed: false, existing: toRun(this.statements.liveForKey.get(input.repo, input.sha, environment) as RunRow) };
      })
      .immediate();
  }

  /** The run with this id, in any state. */
  get(id: number): Run | undefined {
    const row = this.statements.byId.get(id) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Moves a live run to another live state; undefined (and nothing written) when the run has ended. */
  advance(id: number, state: LiveRunState, fields: RunFields = {}): Run | undefined {
    if (!LIVE.has(state)) throw new TypeError(`advance() takes a live state, got "${state}"; use finish()`);
    return this.update(id, state, fields);
  }

  /** Ends a live run; undefined (and nothing written) when it had already ended: the first end wins. */
  finish(id: number, state: FinalRunState, fields: RunFields = {}): Run | undefined {
    if (LIVE.has(state)) throw new TypeError(`finish() takes a final state, got "${state}"; use advance()`);
    return this.update(id, state, fields);
  }

  /** Every live run, oldest first. */
  inFlight(): Run[] {
    return (this.statements.live.all() as RunRow[]).map(toRun);
  }

  /** Live runs of other sessions: their process is gone, so they will not finish unless resumed. */
  interrupted(): Run[] {
    return this.inFlight().filter((run) => run.session !== this.session);
  }

  /** Takes an interrupted run over into this session, to resume it; undefined when it has ended. */
  adopt(id: number): Run | undefined {
    const row = this.statements.adopt.get(this.session, this.now(), id) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Whether the run is live and belongs to this process. */
  isRunning(id: number): boolean {
    const run = this.get(id);
    return run !== undefined && LIVE.has(run.state) && run.session === this.session;
  }

  /** The newest run for the repo and environment, in any state. */
  latestFor(repo: string, environment: string | undefined): Run | undefined {
    const row = this.statements.latestFor.get(repo, environment ?? null) as RunRow | undefined;
    return row && toRun(row);
  }

  /**
   * Runs that `newer` supersedes: claimed before it (webhooks are taken in the order they arrive) for the same
   * repo, branch and environment, of another commit, and still queued, building or pushing. A run already deploying is not among them: its image is built, and
   * `overtakenBy` keeps it from deploying over a newer one.
   */
  superseded(newer: Run): Run[] {
    return (this.statements.superseded.all(newer.repo, newer.branch ?? null, newer.environment ?? null, newer.sha, newer.id) as RunRow[]).map(toRun);
  }

  /** The run whose image the environment runs now: the last one finished with `deployed: true`. */
  lastDeployed(repo: string, environment: string): Run | undefined {
    const row = this.statements.lastDeployed.get(repo, environment) as RunRow | undefined;
    return row && toRun(row);
  }

  /** A run created after `id` that has already deployed to its repo and environment; `id` must not deploy then. */
  overtakenBy(id: number): Run | undefined {
    const run = this.get(id);
    if (!run?.environment) return undefined;
    const row = this.statements.overtakenBy.get(run.repo, run.environment, id) as RunRow | undefined;
    return row && toRun(row);
  }

  /** Forgets old deliveries and old finished runs (never an environment's last deployed run); returns the counts. */
  prune(): { deliveries: number; runs: number } {
    const now = this.now();
    return this.db.transaction(() => ({
      deliveries: this.statements.pruneDeliveries.run(now - this.deliveryRetentionMs).changes,
      runs: this.statements.pruneRuns.run(now - this.runRetentionMs).changes,
    }))();
  }

  private update(id: number, state: RunState, fields: RunFields): Run | undefined {
    const params: FieldParams = {
      id,
      state,
      now: this.now(),
      buildCheckRunId: fields.buildCheckRunId ?? null,
      deployCheckRunId: fields.deployCheckRunId ?? null,
      commentId: fields.commentId ?? null,
      image: fields.image ?? null,
      imageDigest: fields.imageDigest ?? null,
      configCommit: fields.configCommit ?? null,
      deployed: fields.deployed ? 1 : 0,
      error: fields.error ?? null,
    };
    const row = this.statements.update.get(params) as RunRow | undefined;
    return row && toRun(row);
  }
}

function prepare(db: SqliteDatabase) {
  const statement = (sql: string): Statement => db.prepare(sql);
  return {
    meta: statement('SELECT value FROM meta WHERE key = ?'),
    insertMeta: statement('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    insertDelivery: statement('INSERT INTO deliveries (id, event, received_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    insertRun: statement(`
      INSERT INTO runs (repo, sha, environment, branch, kind, state, installation_id, delivery_id, comment_id, session, created_at, updated_at)
      VALUES (@repo, @sha, @environment, @branch, @kind, 'queued', @installationId, @deliveryId, @commentId, @session, @now, @now)
      ON CONFLICT DO NOTHING
      RETURNING *`),
    anyForKey: statement('SELECT * FROM runs WHERE repo = ? AND sha = ? AND environment IS ? ORDER BY id DESC LIMIT 1'),
    liveForKey: statement(`SELECT * FROM runs WHERE repo = ? AND sha = ? AND environment IS ? AND state IN ${LIVE_STATES_SQL}`),
    byId: statement('SELECT * FROM runs WHERE id = ?'),
    update: statement(`UPDATE runs SET ${SET_FIELDS} WHERE id = @id AND state IN ${LIVE_STATES_SQL} RETURNING *`),
    live: statement(`SELECT * FROM runs WHERE state IN ${LIVE_STATES_SQL} ORDER BY id`),
    adopt: statement(`UPDATE runs SET session = ?, updated_at = ? WHERE id = ? AND state IN ${LIVE_STATES_SQL} RETURNING *`),
    latestFor: statement('SELECT * FROM runs WHERE repo = ? AND environment IS ? ORDER BY id DESC LIMIT 1'),
    superseded: statement(`
      SELECT * FROM runs
      WHERE repo = ? AND branch IS ? AND environment IS ? AND sha != ? AND id < ? AND state IN ('queued', 'building', 'pushing')
      ORDER BY id`),
    lastDeployed: statement('SELECT * FROM runs WHERE repo = ? AND environment = ? AND deployed_at IS NOT NULL ORDER BY deployed_at DESC, id DESC LIMIT 1'),
    overtakenBy: statement('SELECT * FROM runs WHERE repo = ? AND environment = ? AND id > ? AND deployed_at IS NOT NULL ORDER BY id DESC LIMIT 1'),
    pruneDeliveries: statement('DELETE FROM deliveries WHERE received_at < ?'),
    pruneRuns: statement(`
      DELETE FROM runs
      WHERE state IN ${FINAL_STATES_SQL} AND updated_at < ?
        AND id NOT IN (
          SELECT (SELECT d.id FROM runs d WHERE d.repo = e.repo AND d.environment = e.environment AND d.deployed_at IS NOT NULL ORDER BY d.deployed_at DESC, d.id DESC LIMIT 1)
          FROM (SELECT DISTINCT repo, environment FROM runs WHERE deployed_at IS NOT NULL) e
        )`),
  };
}

function toRun(row: RunRow): Run {
  const run: Run = { id: row.id, repo: row.repo, sha: row.sha, kind: row.kind, state: row.state, createdAt: row.created_at, updatedAt: row.updated_at };
  const optional: Array<[keyof Run, string | number | null]> = [
    ['environment', row.environment],
    ['branch', row.branch],
    ['installationId', row.installation_id],
    ['deliveryId', row.delivery_id],
    ['commentId', row.comment_id],
    ['session', row.session],
    ['buildCheckRunId', row.build_check_run_id],
    ['deployCheckRunId', row.deploy_check_run_id],
    ['image', row.image],
    ['imageDigest', row.image_digest],
    ['configCommit', row.config_commit],
    ['deployedAt', row.deployed_at],
    ['error', row.error],
  ];
  for (const [key, value] of optional) if (value !== null) (run as unknown as Record<string, unknown>)[key] = value;
  return run;
}
