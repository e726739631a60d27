/**
 * `--profile=FILE`: a Chrome trace (open it in Perfetto or chrome://tracing) of the actions
 * that ran or were restored, one lane per concurrently running slot, with the critical path
 * (the chain of dependencies that finished last) marked in its own lane and in each event's args.
 */
import { writeFileSync } from 'node:fs';
import type { ActionGraph, ActionId } from '../analyze/action.js';
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

  close(): void {
    const critical = this.graph ? new Set(criticalPath(this.graph, new Map(this.spans.map((s) => [s.id, s.end])))) : new Set<string>();
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

/**
 * The critical path of a build: the chain ending at the action that finished last, following at
 * each step the dependency that finished last. `endOf`: when each action that ran or was
 * restored finished (actions missing from it are not followed). Last action first.
 */
export function criticalPath(graph: ActionGraph, endOf: ReadonlyMap<string, number>): string[] {
  const path: string[] = [];
  let cur: string | undefined;
  for (const [id, end] of endOf) if (cur === undefined || end > endOf.get(cur)!) cur = id;
  while (cur !== undefined) {
    path.push(cur);
    let next: string | undefined;
    for (const i of graph.actions.get(cur as ActionId)?.inputs ?? []) {
      if (i.source) continue;
      const p = graph.producers.get(i.path);
      if (p !== undefined && endOf.has(p) && (next === undefined || endOf.get(p)! > endOf.get(next)!)) next = p;
    }
    cur = next;
  }
  return path;
}
