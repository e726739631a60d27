/**
 * Loggers turn BuildEvents into what a person or a program reads:
 * - PlainLogger: one line per event (not a terminal, CI logs);
 * - TtyLogger: a live status line (done/total, cache hits, running actions with elapsed time);
 * - NdjsonWriter: the machine-readable stream for --events=FILE.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import type { BuildEvent } from './events.js';

export interface Logger {
  event(e: BuildEvent): void;
  close(): void;
}

function failureText(e: Extract<BuildEvent, { type: 'action_finished' }>, root: string): string {
  const lines = [`FAILED ${e.label} (${e.mnemonic}): ${e.error}`];
  if (e.logTail) lines.push(...e.logTail.split('\n').map((l) => `  | ${l}`));
  if (e.logPath) lines.push(`  full log: ${relative(root, e.logPath).startsWith('..') ? e.logPath : relative(root, e.logPath)}`);
  return lines.join('\n');
}

export class PlainLogger implements Logger {
  constructor(private readonly root: string, private readonly out: NodeJS.WritableStream = process.stderr, private readonly verbose = false) {}
  event(e: BuildEvent): void {
    switch (e.type) {
      case 'action_started':
        this.out.write(`[start] ${e.mnemonic} ${e.label}\n`);
        break;
      case 'action_finished':
        if (e.status === 'failed') this.out.write(`${failureText(e, this.root)}\n`);
        else if (e.status === 'executed' || this.verbose) this.out.write(`[${e.status}${e.cache ? `:${e.cache}` : ''}] ${e.mnemonic} ${e.label} ${(e.durationMs / 1000).toFixed(1)}s\n`);
        break;
      case 'action_skipped':
        this.out.write(`[skipped] ${e.mnemonic} ${e.label}: dependency ${e.becauseLabel} failed\n`);
        break;
      case 'warning':
        this.out.write(`WARNING: ${e.message}\n`);
        break;
      case 'info':
        this.out.write(`INFO: ${e.message}\n`);
        break;
      case 'analysis_finished':
        this.out.write(`Analysed ${count(e.targets, 'target')}, ${count(e.actions, 'action')}${e.fromCache ? ' (from the analysis cache)' : ''} in ${e.ms} ms\n`);
        break;
      default:
        break;
    }
  }
  close(): void {}
}

export class TtyLogger implements Logger {
  private readonly running = new Map<string, { label: string; mnemonic: string; start: number }>();
  private done = 0;
  private cached = 0;
  private estimates: Readonly<Record<string, number>> = {};
  private remainingMs = 0;
  private jobs = 1;
  private planned = 0;
  private timer: NodeJS.Timeout;
  private drawn = false;
  constructor(private readonly root: string, private readonly total: () => number, private readonly out: NodeJS.WriteStream = process.stderr) {
    this.timer = setInterval(() => this.draw(), 250);
    this.timer.unref();
  }
  private clear() {
    if (this.drawn) this.out.write('\r\x1b[J');
    this.drawn = false;
  }
  private draw() {
    this.clear();
    const now = Date.now();
    const run = [...this.running.values()].sort((a, b) => a.start - b.start).slice(0, 4)
      .map((r) => `  ${r.mnemonic} ${r.label} ${((now - r.start) / 1000).toFixed(0)}s`);
    const cols = this.out.columns ?? 100;
    const eta = this.remainingMs > 0 ? `, ETA ~${formatEta(this.remainingMs / this.jobs)}` : '';
    const lines = [`[${this.done}/${this.planned || this.total()}] ${this.cached} cached, ${this.running.size} running${eta}`, ...run].map((l) => l.slice(0, cols - 1));
    this.out.write(lines.join('\n') + (lines.length > 1 ? `\x1b[${lines.length - 1}A` : '') + '\r');
    this.drawn = true;
  }
  event(e: BuildEvent): void {
    switch (e.type) {
      case 'build_planned':
        this.estimates = e.estimates;
        this.remainingMs = Object.values(e.estimates).reduce((a, b) => a + b, 0);
        this.jobs = e.jobs;
        this.planned = e.actions;
        break;
      case 'action_started':
        this.running.set(e.id, { label: e.label, mnemonic: e.mnemonic, start: e.time });
        break;
      case 'action_finished':
        this.running.delete(e.id);
        this.done++;
        this.remainingMs = Math.max(0, this.remainingMs - (this.estimates[e.id] ?? 0));
        if (e.status === 'cached') this.cached++;
        if (e.status === 'failed') {
          this.clear();
          this.out.write(`${failureText(e, this.root)}\n`);
        }
        break;
      case 'action_skipped':
        this.done++;
        this.remainingMs = Math.max(0, this.remainingMs - (this.estimates[e.id] ?? 0));
        break;
      case 'warning':
        this.clear();
        this.out.write(`WARNING: ${e.message}\n`);
        break;
      case 'info':
        this.clear();
        this.out.write(`INFO: ${e.message}\n`);
        break;
      default:
        break;
    }
  }
  close(): void {
    clearInterval(this.timer);
    this.clear();
  }
}

export class NdjsonWriter implements Logger {
  private buf: string[] = [];
  /** Kept open for the build: one write(2) per 256 events, no open and close each time. */
  private fd?: number;
  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
  }
  event(e: BuildEvent): void {
    this.buf.push(JSON.stringify(e));
    if (this.buf.length >= 256) this.flush();
  }
  private flush() {
    if (this.buf.length && this.fd !== undefined) writeSync(this.fd, this.buf.join('\n') + '\n');
    this.buf = [];
  }
  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

function formatEta(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 90 ? `${s}s` : s < 5400 ? `${Math.round(s / 60)}m` : `${(s / 3600).toFixed(1)}h`;
}

/** `1 target`, `2 targets`. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
