/**
 * `--profile=FILE`: a Chrome trace (open it in Perfetto or chrome://tracing) of the actions
 * that ran or were restored, one lane per concurrently running slot, with the critical path
 * (the chain of dependencies that finished last) marked in its own lane and in each event's args.
 */
import { writeFileSync } from 'node:fs';
import type { ActionGraph } from './action.js';
import type { BuildEvent } from './events.js';
import type { Logger } from './loggers.js';

interface Span { id: string; label: string; mnemonic: string; start: number; end: number; status: string; lane: number }

export class ProfileWriter implements Logger {
  private readonly open = new Map<string, { start: number; lane: number }>();
  private readonly spans: Span[] = [];
  private readonly lanes: boolean[] = [];
  private readonly t0 = Date.now();
  graph?: ActionGraph;

  constructor(private readonly path: string) {}

  private lane(): number {
    const free = this.lanes.findIndex((busy) => !busy);
    const i = free >= 0 ? free : this.lanes.length;
    this.lanes[i] = true;
    return i;
  }

  event(e: BuildEvent): void {
    if (e.type === 'action_started') this.open.set(e.id, { start: e.time, lane: this.lane() });
    if (e.type === 'action_finished') {
      const now = Date.now();
      const o = this.open.get(e.id);
      if (o) {
        this.lanes[o.lane] = false;
        this.open.delete(e.id);
      }
      const start = o?.start ?? now - e.durationMs;
      this.spans.push({ id: e.id, label: e.label, mnemonic: e.mnemonic, start, end: now, status: e.status, lane: o?.lane ?? this.lane() });
      if (!o) this.lanes[this.spans[this.spans.length - 1].lane] = false;
    }
  }

  /** The chain ending at the last-finished action, following the dependency that finished last. */
  private criticalPath(): Set<string> {
    const byId = new Map(this.spans.map((s) => [s.id, s]));
    const path = new Set<string>();
    let cur = [...this.spans].sort((a, b) => b.end - a.end)[0];
    while (cur && this.graph) {
      path.add(cur.id);
      const action = this.graph.actions.get(cur.id as never);
      const deps = (action?.inputs ?? []).filter((i) => !i.source).map((i) => byId.get(this.graph!.producers.get(i.path) ?? ''))
        .filter((s): s is Span => !!s);
      cur = deps.sort((a, b) => b.end - a.end)[0];
    }
    return path;
  }

  close(): void {
    const critical = this.criticalPath();
    const us = (t: number) => (t - this.t0) * 1000;
    const events: unknown[] = [
      { name: 'process_name', ph: 'M', pid: 1, args: { name: 'xbuild' } },
      { name: 'thread_name', ph: 'M', pid: 1, tid: 0, args: { name: 'critical path' } },
    ];
    for (const s of this.spans) {
      const args = { label: s.label, status: s.status, critical: critical.has(s.id) };
      events.push({ name: `${s.mnemonic} ${s.label}`, cat: s.status, ph: 'X', ts: us(s.start), dur: Math.max(1, us(s.end) - us(s.start)), pid: 1, tid: s.lane + 1, args });
      if (critical.has(s.id)) events.push({ name: `${s.mnemonic} ${s.label}`, cat: 'critical', ph: 'X', ts: us(s.start), dur: Math.max(1, us(s.end) - us(s.start)), pid: 1, tid: 0, args });
    }
    writeFileSync(this.path, JSON.stringify({ traceEvents: events, displayTimeUnit: 'ms' }));
  }
}
