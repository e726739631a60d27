/**
 * The up-to-date stamp: Ninja's no-op, for xbuild. After a successful build, the stat of every
 * file the build depended on is written to `.xbuild/stamps/<key>`: BUILD files and imports,
 * probed paths, walked directories, every source input and tool of every needed action, every
 * output in xbuild-out/, and xbuild's own code. The next build with the same patterns and
 * settings first compares those stats (one lstat each, no database, no hashing, no heavy
 * modules); if none changed, nothing can have changed and it stops there.
 *
 * Invariants:
 * - A source is recorded only if its stat still matches the fingerprint whose digest went into
 *   the keys (so a file edited during the build is not stamped as built). A "racy" one (changed
 *   within a second of being read, where a same-tick edit could hide) is recorded as
 *   "recheck": the next build always looks at its content again.
 * - Any doubt means no stamp: the normal path (analysis cache, action cache) is always correct.
 * This module must stay light: the fast path imports nothing else of xbuild.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, type Stats } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';

const STAMP_VERSION = 'xbuild-stamp-v4';
const RACY_MS = 1000;
/** Numbers recorded per path: size (-1: must be absent), mtime ms, ctime ms, inode. */
const FIELDS = 4;

export interface StampedAction {
  readonly id: string;
  readonly label: string;
  readonly mnemonic: string;
  readonly key: string;
  /** What the action's outputs held (OutputEntry of cache/actionCache.ts), for incremental rebuilds. */
  readonly outputs: readonly unknown[];
}

/**
 * Recorded paths with their stats. On disk the paths are one newline-joined string and the
 * stats one base64 Float64Array: parsing is a split and a view, and checking compares numbers
 * (no per-file strings or BigInts: at 20,000 targets that was most of a no-op).
 */
export interface StatTable {
  readonly paths: readonly string[];
  readonly stats: Float64Array;
}

export interface Stamp {
  readonly version: string;
  /** What analysis depended on: BUILD files, imports, probes, walked directories, xbuild's code. */
  readonly structure: StatTable;
  /** What actions depended on or made: sources, tools, outputs. */
  readonly files: StatTable;
  readonly outputCount: number;
  /** The outputs when there are at most three (the final line names them). */
  readonly fewOutputs: readonly string[];
}

interface StampFile {
  version: string;
  structurePaths: string;
  structureStats: string;
  filePaths: string;
  fileStats: string;
  outputCount: number;
  fewOutputs: string[];
}

/** The second stamp file: the actions it covers and every output; read only when needed (it is the larger). */
export interface StampDetails {
  readonly actions: readonly StampedAction[];
  readonly outputs: readonly string[];
}

export function readStampDetails(path: string): StampDetails | undefined {
  try {
    return JSON.parse(readFileSync(`${path}.actions`, 'utf8')) as StampDetails;
  } catch {
    return undefined;
  }
}

/** The result of comparing a stamp with the disk. */
export type StampCheck =
  | { readonly kind: 'up-to-date'; readonly stamp: Stamp }
  /** Only sources, tools or outputs changed (listed): the action graph is still valid. */
  | { readonly kind: 'files-changed'; readonly stamp: Stamp; readonly changed: ReadonlySet<string> }
  | { readonly kind: 'stale' };

export function stampKey(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify([STAMP_VERSION, parts])).digest('hex').slice(0, 32);
}

export function stampPath(stateDir: string, key: string): string {
  return join(stateDir, 'stamps', key);
}

function lstatOrUndefined(path: string): Stats | undefined {
  return lstatSync(path, { throwIfNoEntry: false });
}

/** A recorded stat: the file's, absent (must stay absent), or "recheck" (never matches). */
type Recorded = Stats | 'absent' | 'recheck';

function putStat(into: Float64Array, i: number, st: Recorded): void {
  const o = i * FIELDS;
  if (st === 'absent' || st === 'recheck') {
    into[o] = st === 'absent' ? -1 : -2;
    into[o + 1] = into[o + 2] = into[o + 3] = 0;
    return;
  }
  into[o] = st.size;
  into[o + 1] = st.mtimeMs;
  into[o + 2] = st.ctimeMs;
  into[o + 3] = st.ino;
}

/** Whether entry `i` of the table still matches the disk. */
function matches(t: StatTable, i: number): boolean {
  const st = lstatOrUndefined(t.paths[i]);
  const o = i * FIELDS, s = t.stats;
  if (!st) return s[o] === -1;
  return s[o] === st.size && s[o + 1] === st.mtimeMs && s[o + 2] === st.ctimeMs && s[o + 3] === st.ino;
}

function decodeTable(paths: string, stats: string): StatTable {
  const list = paths ? paths.split('\n') : [];
  const bytes = Buffer.from(stats, 'base64');
  const table = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (table.length !== list.length * FIELDS) throw new Error('corrupt stamp');
  return { paths: list, stats: table };
}

function encodeStats(stats: Float64Array): string {
  return Buffer.from(stats.buffer, stats.byteOffset, stats.byteLength).toString('base64');
}

export function readStamp(path: string): Stamp | undefined {
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as StampFile;
    if (f.version !== STAMP_VERSION) return undefined;
    return {
      version: f.version, structure: decodeTable(f.structurePaths, f.structureStats), files: decodeTable(f.filePaths, f.fileStats),
      outputCount: f.outputCount, fewOutputs: f.fewOutputs,
    };
  } catch {
    return undefined;
  }
}

/** Compares every recorded stat with the disk. */
export function checkStamp(path: string): StampCheck {
  const stamp = readStamp(path);
  if (!stamp) return { kind: 'stale' };
  const { structure, files } = stamp;
  for (let i = 0; i < structure.paths.length; i++) if (!matches(structure, i)) return { kind: 'stale' };
  const changed = new Set<string>();
  for (let i = 0; i < files.paths.length; i++) if (!matches(files, i)) changed.add(files.paths[i]);
  return changed.size ? { kind: 'files-changed', stamp, changed } : { kind: 'up-to-date', stamp };
}

/** Collects entries for a stamp; `ok` turns false at the first doubt. */
export class StampRecorder {
  private readonly structure = new Map<string, Recorded>();
  private readonly files = new Map<string, Recorded>();
  /** Entries carried over from the last stamp, verified by `checkStamp` at the start of this build. */
  private carried?: { readonly structure: StatTable; readonly files: StatTable; readonly skip: ReadonlySet<string> };
  /** Where add() records: analysis inputs ('structure') or action files ('file'). */
  section: 'structure' | 'file' = 'structure';
  ok = true;
  why = '';
  private readonly now = Date.now();

  /**
   * Starts from the last stamp: its structure and every file entry except `redo` (paths whose
   * stat changed or that this build rewrote, which the caller adds again). An entry carried
   * over records the stat the file had when this build checked it; a file changed since then
   * no longer matches it, so the next build sees the change.
   */
  carryOver(last: Stamp, redo: ReadonlySet<string>): void {
    this.carried = { structure: last.structure, files: last.files, skip: redo };
  }

  private fail(why: string): void {
    if (this.ok) this.why = why;
    this.ok = false;
  }

  /** A file or directory whose current state the build used; `trusted` = its content is known to match. */
  add(path: string, trusted: boolean, checkRacy: boolean): void {
    const into = this.section === 'structure' ? this.structure : this.files;
    if (!this.ok || into.has(path)) return;
    const st = lstatOrUndefined(path);
    if (!st) return this.fail(`${path} vanished`);
    if (!trusted) return this.fail(`${path} changed during the build`);
    // Changed within the last second: a same-tick edit could hide behind the same stat, so
    // the next build checks this file's content again (through its digest), whatever its stat.
    const racy = checkRacy && (this.now - st.mtimeMs < RACY_MS || this.now - st.ctimeMs < RACY_MS);
    into.set(path, racy ? 'recheck' : st);
  }

  /** A path that must stay absent (or keep its kind) for the result to hold. */
  addProbe(path: string, kind: string): void {
    if (!this.ok) return;
    const st = lstatOrUndefined(path);
    const now = st ? (st.isDirectory() ? 'dir' : 'file') : 'none';
    if (now !== kind) return this.fail(`${path} appeared or disappeared during the build`);
    if (kind === 'none') this.structure.set(path, 'absent');
    else if (kind === 'dir') this.add(path, true, false);
  }

  /** Every file and directory below `dir` (an output directory xbuild wrote). */
  addTree(dir: string): void {
    this.add(dir, true, false);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return this.fail(`${dir} is not readable`);
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = lstatOrUndefined(p);
      if (st?.isDirectory()) this.addTree(p);
      else this.add(p, true, false);
    }
  }

  write(path: string, actions: readonly StampedAction[], outputs: readonly string[]): boolean {
    if (!this.ok) return false;
    const structure = this.table(this.structure, this.carried?.structure, new Set());
    const files = this.table(this.files, this.carried?.files, this.carried?.skip ?? new Set());
    const stamp: StampFile = {
      version: STAMP_VERSION,
      structurePaths: structure.paths.join('\n'), structureStats: encodeStats(structure.stats),
      filePaths: files.paths.join('\n'), fileStats: encodeStats(files.stats),
      outputCount: outputs.length, fewOutputs: outputs.length <= 3 ? [...outputs] : [],
    };
    const details: StampDetails = { actions, outputs };
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    // The details file first: a stamp is only ever next to the actions it was written with.
    writeFileSync(`${tmp}.actions`, JSON.stringify(details));
    renameSync(`${tmp}.actions`, `${path}.actions`);
    writeFileSync(tmp, JSON.stringify(stamp));
    renameSync(tmp, path);
    return true;
  }

  /** Carried-over entries (minus `skip` and those added again) followed by the added ones. */
  private table(added: ReadonlyMap<string, Recorded>, carried: StatTable | undefined, skip: ReadonlySet<string>): StatTable {
    const keep: number[] = [];
    if (carried) for (let i = 0; i < carried.paths.length; i++) if (!skip.has(carried.paths[i]) && !added.has(carried.paths[i])) keep.push(i);
    const paths: string[] = [];
    const stats = new Float64Array((keep.length + added.size) * FIELDS);
    for (const i of keep) {
      stats.set(carried!.stats.subarray(i * FIELDS, (i + 1) * FIELDS), paths.length * FIELDS);
      paths.push(carried!.paths[i]);
    }
    for (const [p, st] of added) {
      putStat(stats, paths.length, st);
      paths.push(p);
    }
    return { paths, stats };
  }
}
