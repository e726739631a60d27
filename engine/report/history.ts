/**
 * Action history: for each action (by id) the key and key inputs of its last run, how it
 * ended and how long it took. `xbuild explain` diffs a key against the previous one; the
 * scheduler uses durations for critical-path priorities. Rows are batched and written once
 * per build step.
 */
import type { Db } from '../../cache/database.js';
import type { Action, ActionId } from '../analyze/action.js';
import type { ActionKeyInputs } from '../key/actionKey.js';

export type HistoryStatus = 'executed' | 'cached' | 'failed';

export interface HistoryRow {
  readonly actionId: ActionId;
  readonly label: string;
  readonly key: string;
  readonly keyInputs: ActionKeyInputs;
  readonly status: HistoryStatus;
  readonly durationMs: number;
  readonly note?: string;
  readonly updatedMs: number;
}

export class History {
  private readonly pending: HistoryRow[] = [];
  private readonly previous = new Map<string, HistoryRow | undefined>();
  private durations?: Map<string, number>;
  private readStmt?: ReturnType<Db['prepare']>;

  constructor(private readonly db: Db) {}

  /** The row as it was before this build touched it. */
  before(actionId: string): HistoryRow | undefined {
    if (!this.previous.has(actionId)) this.previous.set(actionId, this.read(actionId));
    return this.previous.get(actionId);
  }

  read(actionId: string): HistoryRow | undefined {
    // Prepared once: every executed action reads its last row (a prepare each: ~20 us vs ~8 us).
    this.readStmt ??= this.db.prepare('SELECT * FROM action_history WHERE action_id = ?');
    const r = this.readStmt.get(actionId) as Record<string, unknown> | undefined;
    return r ? toRow(r) : undefined;
  }

  readLabel(label: string): HistoryRow[] {
    return (this.db.prepare('SELECT * FROM action_history WHERE label = ? ORDER BY action_id').all(label) as Record<string, unknown>[]).map(toRow);
  }

  record(action: Action, key: string, keyInputs: ActionKeyInputs, status: HistoryStatus, durationMs: number, note?: string): void {
    if (status === 'executed') {
      // Only a run needs the previous key (to say why); a cache hit costs no read.
      const reasons = describeKeyChange(this.before(action.id)?.keyInputs, keyInputs);
      note = JSON.stringify({ reasons, note });
    } else if (note !== undefined) note = JSON.stringify({ reasons: [], note });
    // A cache hit keeps the duration of the run that made the result (it is what a rerun costs).
    this.pending.push({ actionId: action.id, label: action.label, key, keyInputs, status, durationMs, note, updatedMs: Date.now() });
  }

  /** Recorded run time of every action that ran before (ms), for scheduling and forecasts. */
  knownDurations(): Map<string, number> {
    if (!this.durations) {
      this.durations = new Map();
      for (const r of this.db.prepare("SELECT action_id, duration_ms FROM action_history WHERE duration_ms IS NOT NULL").all() as { action_id: string; duration_ms: number }[]) {
        this.durations.set(r.action_id, r.duration_ms);
      }
    }
    return this.durations;
  }

  flush(): void {
    if (!this.pending.length) return;
    const rows = this.pending.splice(0);
    const stmt = this.db.prepare(`INSERT OR REPLACE INTO action_history (action_id, label, key, key_inputs, status, duration_ms, remote_note, updated_ms)
      VALUES (?, ?, ?, ?, ?, COALESCE(?, (SELECT duration_ms FROM action_history WHERE action_id = ?)), ?, ?)`);
    this.db.transaction(() => {
      for (const r of rows) {
        stmt.run(r.actionId, r.label, r.key, JSON.stringify(r.keyInputs), r.status, r.status === 'cached' ? null : r.durationMs, r.actionId, r.note ?? null, r.updatedMs);
      }
    })();
  }
}

function toRow(r: Record<string, unknown>): HistoryRow {
  return {
    actionId: r.action_id as ActionId, label: r.label as string, key: r.key as string,
    keyInputs: JSON.parse(r.key_inputs as string) as ActionKeyInputs, status: r.status as HistoryStatus,
    durationMs: (r.duration_ms as number | null) ?? 0, note: (r.remote_note as string | null) ?? undefined, updatedMs: r.updated_ms as number,
  };
}

/** What differs between two key inputs, in words (for `explain` and `--dry-run`). */
export function describeKeyChange(prev: ActionKeyInputs | undefined, next: ActionKeyInputs): string[] {
  if (!prev) return ['never built before'];
  const out: string[] = [];
  if (prev.engine !== next.engine) out.push(`engine version changed (${prev.engine} -> ${next.engine})`);
  if (JSON.stringify(prev.argv) !== JSON.stringify(next.argv)) out.push(`command line changed: ${JSON.stringify(prev.argv)} -> ${JSON.stringify(next.argv)}`);
  const pe = new Map(prev.env), ne = new Map(next.env);
  for (const [k, v] of ne) if (pe.get(k) !== v) out.push(pe.has(k) ? `env ${k} changed: "${pe.get(k)}" -> "${v}"` : `env ${k} added`);
  for (const k of pe.keys()) if (!ne.has(k)) out.push(`env ${k} removed`);
  const pi = new Map(prev.inputs.map((i) => [i.path, i.digest])), ni = new Map(next.inputs.map((i) => [i.path, i.digest]));
  for (const [p, d] of ni) if (pi.get(p) !== d) out.push(pi.has(p) ? `input ${p} changed (${pi.get(p)!.slice(0, 12)} -> ${d.slice(0, 12)})` : `input ${p} added`);
  for (const p of pi.keys()) if (!ni.has(p)) out.push(`input ${p} removed`);
  const pt = new Map(prev.tools.map((i) => [i.path, i.digest])), nt = new Map(next.tools.map((i) => [i.path, i.digest]));
  for (const [p, d] of nt) if (pt.get(p) !== d) out.push(pt.has(p) ? `tool ${p} changed` : `tool ${p} added`);
  for (const p of pt.keys()) if (!nt.has(p)) out.push(`tool ${p} removed`);
  if (JSON.stringify(prev.outputs) !== JSON.stringify(next.outputs)) out.push('declared outputs changed');
  if (prev.platform !== next.platform) out.push(`platform changed (${prev.platform} -> ${next.platform})`);
  if (prev.sourceDateEpoch !== next.sourceDateEpoch) out.push('SOURCE_DATE_EPOCH changed');
  if (prev.network !== next.network) out.push('network access changed');
  if (prev.content !== next.content || prev.executable !== next.executable) out.push('written content changed');
  if (prev.sha256 !== next.sha256) out.push('pinned SHA-256 changed');
  return out.length ? out : ['key unchanged (the cached result was missing or evicted)'];
}
