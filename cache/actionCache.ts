/**
 * The action cache: action key -> ActionResult (what the action produced).
 *
 * Names follow Bazel's remote-apis (`ActionResult`, `OutputEntry`). Only successful results
 * are ever stored: a failure is never cached, so a flaky or environmental failure reruns.
 * Callers store every blob a result names before calling `put`.
 *
 * With a cache lease (cacheLease.ts), every row read or written is pinned, key and blobs, before
 * the caller uses it: `cache gc` in another process keeps what this process relies on.
 */
import type { Db } from './database.js';
import type { Pinner } from './cacheLease.js';
import type { Digest, Sha256 } from './digest.js';

/** One declared output of an action. For kind 'dir', `digest` names a `Tree` blob. */
export interface OutputEntry {
  readonly path: string;
  readonly kind: 'file' | 'dir';
  readonly digest: Digest;
  readonly executable: boolean;
}

/** What a successful action produced. */
export interface ActionResult {
  readonly outputs: readonly OutputEntry[];
  readonly exitCode: 0;
  readonly durationMs: number;
  /** The action's combined stdout/stderr log, as a blob. */
  readonly logDigest?: Digest;
}

export class ActionCache {
  /** The cache lease of this process (see the file comment). */
  lease?: Pinner;
  private readonly getStmt;
  private readonly putStmt;
  private readonly touchStmt;
  private readonly deleteStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare('SELECT result FROM action_results WHERE key = ?');
    this.putStmt = db.prepare(
      'INSERT OR REPLACE INTO action_results (key, result, created_ms, last_used_ms) VALUES (?, ?, ?, ?)',
    );
    this.touchStmt = db.prepare('UPDATE action_results SET last_used_ms = ? WHERE key = ?');
    this.deleteStmt = db.prepare('DELETE FROM action_results WHERE key = ?');
  }

  get(key: Sha256): ActionResult | undefined {
    const row = this.getStmt.get(key) as { result: string } | undefined;
    if (!row) return undefined;
    const result = JSON.parse(row.result) as ActionResult;
    if (this.lease) this.lease.pinAll([key, ...result.outputs.map((o) => o.digest.hash), ...(result.logDigest ? [result.logDigest.hash] : [])]);
    return result;
  }

  put(key: Sha256, result: ActionResult): void {
    this.lease?.pin(key);
    const now = Date.now();
    this.putStmt.run(key, JSON.stringify(result), now, now);
  }

  /** Several results in one transaction. */
  putMany(rows: readonly { key: Sha256; result: ActionResult }[]): void {
    this.lease?.pinAll(rows.map((r) => r.key));
    const now = Date.now();
    this.db.transaction(() => {
      for (const r of rows) this.putStmt.run(r.key, JSON.stringify(r.result), now, now);
    })();
  }

  private readonly touched = new Set<Sha256>();

  /** Marks an entry as used now (for LRU gc); written by `flushTouches`, in one transaction. */
  touch(key: Sha256): void {
    this.touched.add(key);
  }

  flushTouches(): void {
    if (this.touched.size === 0) return;
    const now = Date.now();
    const keys = [...this.touched];
    this.touched.clear();
    this.db.transaction(() => {
      for (const k of keys) this.touchStmt.run(now, k);
    })();
  }

  delete(key: Sha256): void {
    this.deleteStmt.run(key);
  }

  /** Every entry with its last-use time (for gc and stats). */
  all(): { key: Sha256; result: ActionResult; lastUsedMs: number }[] {
    return (this.db.prepare('SELECT key, result, last_used_ms FROM action_results').all() as {
      key: string; result: string; last_used_ms: number;
    }[]).map((r) => ({ key: r.key as Sha256, result: JSON.parse(r.result) as ActionResult, lastUsedMs: r.last_used_ms }));
  }
}
