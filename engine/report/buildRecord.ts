/**
 * Build records in the cache database: one row per build (for `xbuild report`, `cache stats`
 * and gc's "running builds"), and the action keys the newest build of each target used (gc
 * roots, closure export).
 */
import type { Db } from '../../cache/database.js';
import type { ActionId } from '../analyze/action.js';
import type { Blame } from './blame.js';
import type { TargetOutcome } from './targetOutcomes.js';

/** One failed action of a build, with whose failure it is. */
export interface ActionFailure {
  readonly id: ActionId;
  readonly label: string;
  readonly error: string;
  readonly logPath?: string;
  readonly blame: Blame;
}

/** An executed action and how long it took (reports list the slowest). */
export interface ActionTime {
  readonly label: string;
  readonly mnemonic: string;
  readonly durationMs: number;
  readonly logPath?: string;
}

/** What `xbuild report` shows about one build. */
export interface BuildReport {
  readonly ok: boolean;
  readonly patterns: readonly string[];
  readonly executed: number;
  readonly cachedLocal: number;
  readonly cachedRemote: number;
  readonly failed: number;
  readonly skipped: number;
  readonly durationMs: number;
  readonly failures: readonly ActionFailure[];
  /** Slowest first. */
  readonly slowest: readonly ActionTime[];
  /** Each requested target's outcome, root causes (failed targets) first. */
  readonly targets: readonly TargetOutcome[];
  readonly remote?: Readonly<Record<string, unknown>>;
}

export function startBuildRecord(db: Db, workspace: string, patterns: readonly string[]): number {
  const r = db.prepare('INSERT INTO builds (pid, workspace, started_ms, targets) VALUES (?, ?, ?, ?)').run(process.pid, workspace, Date.now(), JSON.stringify(patterns));
  return Number(r.lastInsertRowid);
}

/**
 * `keys`: every action key the build used. They are kept as gc roots under the build's
 * patterns: the newest build of each pattern set keeps everything it needed.
 */
export function finishBuildRecord(db: Db, id: number, report: BuildReport, workspace: string, keys: readonly string[]): void {
  db.transaction(() => {
    db.prepare('UPDATE builds SET finished_ms = ?, summary = ? WHERE id = ?').run(Date.now(), JSON.stringify(report), id);
    const put = db.prepare('INSERT OR REPLACE INTO target_roots (workspace, label, keys, updated_ms) VALUES (?, ?, ?, ?)');
    if (report.ok) put.run(workspace, JSON.stringify([...report.patterns].sort()), JSON.stringify(keys), Date.now());
  })();
}

export function lastBuildReport(db: Db, workspace: string): { report: BuildReport; startedMs: number; finishedMs: number } | undefined {
  const r = db.prepare('SELECT summary, started_ms, finished_ms FROM builds WHERE workspace = ? AND summary IS NOT NULL ORDER BY id DESC LIMIT 1').get(workspace) as
    { summary: string; started_ms: number; finished_ms: number } | undefined;
  return r ? { report: JSON.parse(r.summary) as BuildReport, startedMs: r.started_ms, finishedMs: r.finished_ms } : undefined;
}
