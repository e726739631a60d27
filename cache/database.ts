/**
 * The local cache database (SQLite through better-sqlite3, WAL mode).
 *
 * One file holds every table the engine keeps between builds: the action cache, file
 * fingerprints, action history (for `explain` and scheduling), the loading cache and build
 * reports. WAL lets several xbuild processes read and write at once; writes are batched per
 * build step by the callers (PERF.md: one fsync per action would cap us at ~3k actions/s).
 *
 * Invariant: a row that names a blob is written only after the blob is in the BlobStore.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

// Required, not imported: Node reads a CommonJS module imported from an ES module with its export
// lexer first, ~8 ms of every build's start-up here (import 14-23 ms, require 8-9 ms).
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof BetterSqlite3;
/**
 * The addon where npm builds it: without it better-sqlite3 asks the `bindings` package, which
 * tries a dozen paths first (first open 2-4 ms -> ~1 ms).
 */
const ADDON = (() => {
  try {
    return require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined; // built elsewhere: bindings finds it
  }
})();

export type Db = BetterSqlite3.Database;

/** Bump on any schema change: an older cache database is then rebuilt empty (blobs are kept). */
const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS action_results (
  key TEXT PRIMARY KEY,
  result TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_used_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS file_fingerprints (
  path TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  mtime_ns TEXT NOT NULL,
  ctime_ns TEXT NOT NULL,
  ino TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS action_history (
  action_id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  key TEXT NOT NULL,
  key_inputs TEXT NOT NULL,
  status TEXT NOT NULL,
  duration_ms INTEGER,
  remote_note TEXT,
  updated_ms INTEGER NOT NULL
);
-- Covers the scheduler's read of every recorded duration: without it each row's key_inputs
-- JSON (overflow pages) is read just to reach duration_ms.
CREATE INDEX IF NOT EXISTS action_history_durations ON action_history (action_id, duration_ms);
CREATE TABLE IF NOT EXISTS load_cache (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS builds (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pid INTEGER,
  workspace TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_ms INTEGER,
  targets TEXT NOT NULL,
  summary TEXT
);
CREATE TABLE IF NOT EXISTS target_roots (
  workspace TEXT NOT NULL,
  label TEXT NOT NULL,
  keys TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (workspace, label)
);
`;

/**
 * Switching a new database to WAL needs an exclusive lock, and SQLite may answer SQLITE_BUSY at
 * once, without its busy timeout, while another process does the same (two builds sharing a
 * fresh cache directory): retry for up to 30 s.
 */
function setWalMode(db: Db): void {
  const deadline = Date.now() + 30_000;
  for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
    }
  }
}

/** Opens (creating if needed) the cache database at `path`. */
export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: 30_000, nativeBinding: ADDON });
  setWalMode(db);
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
  const row = db.prepare('SELECT v FROM meta WHERE k = ?').get('schema') as { v: string } | undefined;
  if (row && row.v !== String(SCHEMA_VERSION)) {
    // A cache from another xbuild version: start its tables afresh (it is only a cache).
    db.transaction(() => {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
      for (const t of tables) db.exec(`DROP TABLE IF EXISTS "${t.name}"`);
    })();
  }
  db.exec(SCHEMA);
  db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)').run('schema', String(SCHEMA_VERSION));
  return db;
}
