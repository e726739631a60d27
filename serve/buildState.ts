/**
 * One build as the dashboard shows it, folded from the lines of its event stream
 * (engine/report/buildStream.ts): every action's row (waiting, running, executed, cached, failed,
 * skipped; when it started and ended; its slot lane), the counts, the running actions, the
 * failures with their log tails, the time left from recorded durations, the critical path.
 *
 * Rows carry the version at which they last changed, so a page that has version V gets only
 * the rows changed since (`delta`). Lines that do not parse (a line cut short by kill -9, or
 * still being written) are skipped; lines are fed whole by the reader (serve/buildStore.ts).
 * Times in rows are ms since the build started.
 */
import { actionLogName } from '../engine/workspace.js';
import { basename, dirname } from 'node:path';

export type RowStatus = 'waiting' | 'running' | 'executed' | 'cached' | 'failed' | 'skipped';
export type BuildPhase = 'running' | 'ok' | 'failed' | 'interrupted' | 'stopped';

interface Row {
  readonly id: string;
  mnemonic: string;
  status: RowStatus;
  start?: number;
  end?: number;
  lane?: number;
  /** Name of its log in .xbuild/logs/ (actions whose command ran). */
  log?: string;
  v: number;
}

/** `[id, mnemonic, status, start, end, lane, log]`: one row as the page receives it. */
export type WireRow = [string, string, RowStatus, number | null, number | null, number | null, string | null];

export interface Failure {
  readonly id: string;
  readonly label: string;
  readonly mnemonic: string;
  readonly error: string;
  readonly logTail: string;
  readonly log?: string;
}

/** The summary block of every snapshot and delta. */
export interface BuildSummary {
  readonly id: string;
  readonly phase: BuildPhase;
  readonly patterns: readonly string[];
  readonly jobs: number;
  readonly startedMs: number;
  readonly finishedMs?: number;
  /** Actions the build considers (its plan; for an incremental build every action of the last build). */
  readonly total: number;
  readonly done: number;
  readonly executed: number;
  readonly cached: number;
  readonly failed: number;
  readonly skipped: number;
  /** [id, mnemonic, start] of each running action. */
  readonly running: readonly [string, string, number][];
  /** Time left from recorded durations, spread over the build's slots (ms); absent when done. */
  readonly etaMs?: number;
  readonly failures: readonly Failure[];
  readonly critical: readonly string[];
  readonly warnings: readonly string[];
  /** Server time of this summary (ms since the epoch), to turn starts into elapsed times. */
  readonly now: number;
  readonly version: number;
}

export const labelOf = (id: string): string => id.slice(0, id.lastIndexOf('#'));

export class BuildState {
  version = 0;
  patterns: readonly string[] = [];
  jobs = 1;
  startedMs = 0;
  finishedMs?: number;
  ok?: boolean;
  interrupted = false;
  private total = 0;
  private readonly rows: Row[] = [];
  private readonly byId = new Map<string, Row>();
  private readonly counts: Record<RowStatus, number> = { waiting: 0, running: 0, executed: 0, cached: 0, failed: 0, skipped: 0 };
  /** The build's own totals from build_finished (an incremental build has no row for what it did not touch). */
  private final?: { executed: number; cached: number; failed: number; skipped: number };
  private readonly estimates = new Map<string, number>();
  private remainingEstimate = 0;
  private readonly lanes: boolean[] = [];
  private readonly failures = new Map<string, Failure>();
  critical: string[] = [];
  private readonly warnings: string[] = [];
  /** Log names this build's records name, the only ones served for it. */
  readonly logs = new Set<string>();

  /** `startedMs`: from the build id, until the build's first line says. */
  constructor(readonly id: string, readonly pid: number, private readonly logDir: string, startedMs = 0) {
    this.startedMs = startedMs;
  }

  get finished(): boolean {
    return this.finishedMs !== undefined;
  }

  /** Folds one line of the event stream. */
  apply(line: string): void {
    let e: Record<string, any>;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const t: number = e.t ?? Date.now();
    this.version++;
    switch (e.type) {
      case 'build_started':
        this.patterns = e.patterns ?? [];
        this.jobs = e.jobs || 1;
        this.startedMs = e.time ?? t;
        break;
      case 'analysis_finished':
        this.total = Math.max(this.total, e.actions ?? 0);
        break;
      case 'build_planned':
        this.total = e.actions;
        this.jobs = e.jobs || this.jobs;
        for (const [id, ms] of Object.entries(e.estimates ?? {}) as [string, number][]) {
          this.estimates.set(id, ms);
          this.remainingEstimate += ms;
          if (!this.byId.has(id)) this.row(id, '');
        }
        break;
      case 'action_started': {
        const r = this.row(e.id, e.mnemonic);
        this.release(r);
        r.start = (e.time ?? t) - this.startedMs;
        r.end = undefined;
        r.lane = this.takeLane();
        this.setStatus(r, 'running');
        const log = actionLogName(e.label, e.id, e.mnemonic);
        r.log = log;
        this.logs.add(log);
        break;
      }
      case 'action_finished': {
        const r = this.row(e.id, e.mnemonic);
        this.release(r);
        if (r.start !== undefined) r.end = t - this.startedMs;
        if (this.estimates.has(e.id)) this.remainingEstimate -= this.estimates.get(e.id)!;
        this.estimates.delete(e.id);
        this.setStatus(r, e.status);
        if (e.status === 'failed') {
          // The log the event names, if it is in this workspace's log folder (always, as the executor writes it).
          const log = e.logPath && dirname(e.logPath) === this.logDir ? basename(e.logPath) : undefined;
          if (log) this.logs.add(log);
          r.log = log ?? r.log;
          this.failures.set(e.id, { id: e.id, label: e.label, mnemonic: e.mnemonic, error: e.error ?? 'failed', logTail: e.logTail ?? '', log: r.log });
        } else this.failures.delete(e.id);
        break;
      }
      case 'action_skipped': {
        const r = this.row(e.id, e.mnemonic);
        if (this.estimates.has(e.id)) this.remainingEstimate -= this.estimates.get(e.id)!;
        this.estimates.delete(e.id);
        this.setStatus(r, 'skipped');
        break;
      }
      case 'warning':
        if (/^interrupted\b/.test(e.message)) this.interrupted = true;
        this.warnings.push(String(e.message));
        if (this.warnings.length > 20) this.warnings.shift();
        break;
      case 'build_finished':
        this.finishedMs = t;
        this.ok = !!e.ok;
        this.final = { executed: e.executed, cached: e.cached, failed: e.failed, skipped: e.skipped };
        for (const r of this.rows) if (r.status === 'running') this.release(r);
        break;
      case 'critical_path':
        this.critical = e.ids ?? [];
        break;
      default:
        break;
    }
  }

  private row(id: string, mnemonic: string): Row {
    let r = this.byId.get(id);
    if (!r) {
      r = { id, mnemonic, status: 'waiting', v: this.version };
      this.rows.push(r);
      this.byId.set(id, r);
      this.counts.waiting++;
    }
    if (mnemonic) r.mnemonic = mnemonic;
    r.v = this.version;
    return r;
  }

  private setStatus(r: Row, s: RowStatus): void {
    this.counts[r.status]--;
    this.counts[s] = (this.counts[s] ?? 0) + 1;
    r.status = s;
  }

  private takeLane(): number {
    const free = this.lanes.findIndex((busy) => !busy);
    const i = free >= 0 ? free : this.lanes.length;
    this.lanes[i] = true;
    return i;
  }

  private release(r: Row): void {
    if (r.status === 'running' && r.lane !== undefined) this.lanes[r.lane] = false;
  }

  /** Where the build stands; `alive`: its process is still running it. */
  phase(alive: boolean): BuildPhase {
    if (this.finished) return this.ok ? 'ok' : this.interrupted ? 'interrupted' : 'failed';
    return alive ? 'running' : 'stopped';
  }

  summary(alive: boolean, now = Date.now()): BuildSummary {
    const c = this.counts;
    const f = this.final;
    const running: [string, string, number][] = [];
    let runningCredit = 0;
    for (const r of this.rows) {
      if (r.status !== 'running') continue;
      running.push([r.id, r.mnemonic, this.startedMs + (r.start ?? 0)]);
      runningCredit += Math.min(now - this.startedMs - (r.start ?? 0), this.estimates.get(r.id) ?? 0);
    }
    const phase = this.phase(alive);
    const done = f ? this.total : c.executed + c.cached + c.failed + c.skipped;
    return {
      id: this.id, phase, patterns: this.patterns, jobs: this.jobs, startedMs: this.startedMs, finishedMs: this.finishedMs,
      total: this.total, done,
      executed: f?.executed ?? c.executed, cached: f?.cached ?? c.cached, failed: f?.failed ?? c.failed, skipped: f?.skipped ?? c.skipped,
      running: phase === 'running' ? running : [],
      etaMs: phase === 'running' ? Math.max(0, this.remainingEstimate - runningCredit) / Math.max(1, this.jobs) : undefined,
      failures: [...this.failures.values()], critical: this.critical, warnings: this.warnings, now, version: this.version,
    };
  }

  /** Rows changed after version `since` (all of them for 0): those that started, by start, then the others. */
  rowsSince(since: number): WireRow[] {
    const out: WireRow[] = [];
    for (const r of this.rows) {
      if (r.v > since) out.push([r.id, r.mnemonic, r.status, r.start ?? null, r.end ?? null, r.lane ?? null, r.log ?? null]);
    }
    return out.sort((a, b) => (a[3] ?? Infinity) - (b[3] ?? Infinity));
  }

  /** Status of each action by id (for comparing two builds). */
  statusOf(id: string): RowStatus | undefined {
    return this.byId.get(id)?.status;
  }

  failedIds(): string[] {
    return [...this.failures.keys()];
  }
}

/** This build's failures against the previous build's, by action. */
export interface Comparison {
  readonly previous?: string;
  readonly newlyFailing: readonly string[];
  readonly stillFailing: readonly string[];
  readonly fixed: readonly string[];
  /** Failed last time, not settled yet in this (running) build. */
  readonly notYet: readonly string[];
}

export function compareBuilds(cur: BuildState, prev: BuildState | undefined): Comparison {
  if (!prev) return { newlyFailing: [], stillFailing: [], fixed: [], notYet: [] };
  const before = new Set(prev.failedIds());
  const now = cur.failedIds();
  const fixed: string[] = [], notYet: string[] = [];
  for (const id of before) {
    const s = cur.statusOf(id);
    if (s === 'executed' || s === 'cached' || (s === undefined && cur.finished && cur.ok)) fixed.push(id);
    else if (s !== 'failed' && s !== 'skipped') notYet.push(id);
  }
  return {
    previous: prev.id, newlyFailing: now.filter((id) => !before.has(id)), stillFailing: now.filter((id) => before.has(id)),
    fixed, notYet,
  };
}
