/**
 * Every build's event stream, kept in the workspace so that `xbuild serve` (or a person with
 * `tail -f`) can follow a build started anywhere, and look back at the last few:
 *
 *   .xbuild/builds/<build id>/events.ndjson   one BuildEvent per line, as `--events` writes them,
 *                                             each with `t`: the time it was written (ms since
 *                                             the epoch; action_finished carries no time of its own)
 *   .xbuild/builds/latest                     the id of the newest build (replaced by rename)
 *
 * A build id is `<start time, ISO 8601 with - for :>-<pid>`: ids sort by start time, and the
 * pid tells a reader whether a build without `build_finished` is still running. The last line of
 * a build that ended is `critical_path` (not a BuildEvent): the chain of actions that finished
 * last, as the Chrome trace marks it, last action first.
 *
 * Cheap on the hot path: lines are buffered and written with one write(2) per 256 events, or
 * 200 ms after the first unwritten one (a reader sees a slow build move without a write per
 * event). The newest KEEP_BUILDS builds are kept; older folders are removed when a build starts
 * (only one build runs per workspace at a time, so the one removed is never running).
 * kill -9 loses at most the buffered lines; a reader must accept a last line cut short.
 */
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ActionGraph } from '../analyze/action.js';
import type { BuildEvent } from './events.js';
import type { Logger } from './loggers.js';
import { criticalPath } from './profile.js';
import { removeTree } from '../execute/removeTree.js';

/** Builds kept in `.xbuild/builds/` (the running one included). */
export const KEEP_BUILDS = 20;
export const BUILDS_DIR = 'builds';
export const LATEST_FILE = 'latest';
export const EVENTS_FILE = 'events.ndjson';
/** `<start>-<pid>`: what a build folder is named (the only names a reader accepts). */
export const BUILD_ID_PATTERN = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z-(\d+)$/;

export class BuildStreamWriter implements Logger {
  readonly id: string;
  readonly dir: string;
  /** Set by the build once analysed: the critical path follows its dependencies. */
  graph?: ActionGraph;
  private fd?: number;
  private buf: string[] = [];
  private timer?: NodeJS.Timeout;
  private readonly endOf = new Map<string, number>();

  /** Starts the stream of a new build in `stateDir` (the workspace's `.xbuild/`). */
  constructor(stateDir: string, started = Date.now()) {
    const builds = join(stateDir, BUILDS_DIR);
    this.id = `${new Date(started).toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
    this.dir = join(builds, this.id);
    mkdirSync(this.dir, { recursive: true });
    this.fd = openSync(join(this.dir, EVENTS_FILE), 'a');
    writeFileSync(join(builds, `${LATEST_FILE}.${process.pid}`), this.id);
    renameSync(join(builds, `${LATEST_FILE}.${process.pid}`), join(builds, LATEST_FILE));
    const old = readdirSync(builds).filter((n) => BUILD_ID_PATTERN.test(n)).sort();
    for (const n of old.slice(0, Math.max(0, old.length - KEEP_BUILDS))) if (n !== this.id) removeTree(join(builds, n));
  }

  event(e: BuildEvent): void {
    const now = Date.now();
    if (e.type === 'action_finished') this.endOf.set(e.id, now);
    this.buf.push(`{"t":${now},${JSON.stringify(e).slice(1)}`);
    if (this.buf.length >= 256) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), 200);
      this.timer.unref();
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buf.length && this.fd !== undefined) writeSync(this.fd, `${this.buf.join('\n')}\n`);
    this.buf = [];
  }

  close(): void {
    if (this.fd === undefined) return;
    if (this.graph && this.endOf.size) this.buf.push(JSON.stringify({ t: Date.now(), type: 'critical_path', ids: criticalPath(this.graph, this.endOf) }));
    this.flush();
    closeSync(this.fd);
    this.fd = undefined;
  }
}
