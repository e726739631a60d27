/**
 * The builds of one workspace, read from `.xbuild/builds/` (engine/report/buildStream.ts): which exist,
 * which is the newest, and each one's BuildState, brought up to date by reading its event file
 * from where the last read stopped. Only whole lines are folded (the rest waits for the next
 * read); a file that shrank or was replaced (another inode) is read again from the start.
 *
 * Build ids are accepted only as names listed in the folder that match BUILD_ID_PATTERN, so no
 * path is ever made from what a client sent.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_ID_PATTERN, BUILDS_DIR, EVENTS_FILE, LATEST_FILE } from '../engine/report/buildStream.js';
import { isAlive, isProcessAlive, parseIdentity } from '../cache/processAlive.js';
import { BuildState, compareBuilds, type Comparison } from './buildState.js';

export interface BuildListEntry {
  readonly id: string;
  readonly startedMs: number;
  /** Known for builds already read; the list does not read every file. */
  readonly phase?: string;
}

interface Tail {
  state: BuildState;
  ino: number;
  offset: number;
  rest: string;
}

export class BuildStore {
  readonly buildsDir: string;
  private readonly tails = new Map<string, Tail>();

  constructor(private readonly stateDir: string) {
    this.buildsDir = join(stateDir, BUILDS_DIR);
  }

  /** Build ids, newest first. */
  ids(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.buildsDir);
    } catch {
      return [];
    }
    return names.filter((n) => BUILD_ID_PATTERN.test(n)).sort().reverse();
  }

  /** The newest build: the `latest` pointer if it names a build folder, else the newest folder. */
  latestId(): string | undefined {
    const ids = this.ids();
    try {
      const named = readFileSync(join(this.buildsDir, LATEST_FILE), 'utf8').trim();
      if (ids.includes(named)) return named;
    } catch { /* no pointer yet */ }
    return ids[0];
  }

  /** The id as listed (never a path made from the argument), 'latest' for the newest. */
  resolve(id: string): string | undefined {
    if (id === 'latest') return this.latestId();
    return this.ids().find((n) => n === id);
  }

  list(): BuildListEntry[] {
    return this.ids().map((id) => {
      const t = this.tails.get(id);
      return { id, startedMs: startOf(id), phase: t ? t.state.phase(this.alive(id)) : undefined };
    });
  }

  /** Whether the build's process is still running it (its pid alive and holding the workspace lock). */
  alive(id: string): boolean {
    const t = this.tails.get(id);
    if (t?.state.finished) return false;
    const pid = Number(BUILD_ID_PATTERN.exec(id)?.[1]);
    if (!pid || !isProcessAlive(pid)) return false;
    try {
      // The lock names its holder as `<pid>` or `<pid>@<boot>:<start ticks>` (cache/processAlive.ts).
      const holder = parseIdentity(readFileSync(join(this.stateDir, 'lock'), 'utf8').trim());
      return holder?.pid === pid && isAlive(holder) && id === this.latestId();
    } catch {
      return false;
    }
  }

  /** The build's state with every whole line written so far folded in. */
  state(id: string): BuildState {
    let t = this.tails.get(id);
    if (!t) {
      t = { state: this.fresh(id), ino: -1, offset: 0, rest: '' };
      this.tails.set(id, t);
    }
    this.read(id, t);
    return t.state;
  }

  private fresh(id: string): BuildState {
    return new BuildState(id, Number(BUILD_ID_PATTERN.exec(id)?.[1]), join(this.stateDir, 'logs'), startOf(id));
  }

  private read(id: string, t: Tail): void {
    if (t.state.finished && t.state.critical.length) return; // nothing follows the last line
    let fd: number;
    try {
      fd = openSync(join(this.buildsDir, id, EVENTS_FILE), 'r');
    } catch {
      return;
    }
    try {
      const st = fstatSync(fd);
      if (st.ino !== t.ino || st.size < t.offset) {
        Object.assign(t, { state: this.fresh(id), ino: st.ino, offset: 0, rest: '' });
      }
      if (st.size === t.offset) return;
      const buf = Buffer.allocUnsafe(st.size - t.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, t.offset + got);
        if (n === 0) break;
        got += n;
      }
      t.offset += got;
      const text = t.rest + buf.toString('utf8', 0, got);
      const last = text.lastIndexOf('\n');
      t.rest = text.slice(last + 1);
      if (last < 0) return;
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0 && nl <= last; nl = text.indexOf('\n', from)) {
        if (nl > from) t.state.apply(text.slice(from, nl));
        from = nl + 1;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The newest build older than `id` that finished, for "newly failing / fixed / still failing". */
  previousOf(id: string): BuildState | undefined {
    for (const older of this.ids().filter((n) => n < id)) {
      const s = this.state(older);
      if (s.finished) return s;
    }
    return undefined;
  }

  compare(id: string): Comparison {
    return compareBuilds(this.state(id), this.previousOf(id));
  }

  /** Forgets builds no longer in the folder (pruned), so their memory goes. */
  forgetPruned(): void {
    const ids = new Set(this.ids());
    for (const id of this.tails.keys()) if (!ids.has(id)) this.tails.delete(id);
  }
}

/** The start time written in a build id. */
export function startOf(id: string): number {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z/.exec(id);
  return m ? Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`) : 0;
}
