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
 *   the keys (so a file edited during the build is not stamped as built), and only if it is not
 *   "racy" (changed within a second of being read, where a same-tick edit could hide).
 * - Any doubt means no stamp: the normal path (analysis cache, action cache) is always correct.
 * This module must stay light: the fast path imports nothing else of xbuild.
 */
import { lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';

const STAMP_VERSION = 'xbuild-stamp-v3';
const RACY_NS = 1_000_000_000n;

/** A recorded file: path, then size, mtime ns, ctime ns, inode as strings; "-" = must be absent. */
type Entry = string;

export interface StampedAction {
  readonly id: string;
  readonly label: string;
  readonly mnemonic: string;
  readonly key: string;
  /** What the action's outputs held (OutputEntry of cache/actionCache.ts), for incremental rebuilds. */
  readonly outputs: readonly unknown[];
}

export interface Stamp {
  readonly version: string;
  /** What analysis depended on: BUILD files, imports, probes, walked directories, xbuild's code. */
  readonly entries: readonly Entry[];
  /** What actions depended on or made: sources, tools, outputs. */
  readonly files: readonly Entry[];
  readonly outputs: readonly string[];
}

/** The actions a stamp covers live in a second file, read only when needed (it is the larger). */
export function readStampActions(path: string): readonly StampedAction[] | undefined {
  try {
    return JSON.parse(readFileSync(`${path}.actions`, 'utf8')) as StampedAction[];
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

function statLine(path: string, st: BigIntStats | undefined): Entry {
  return st ? `${path}\t${st.size}\t${st.mtimeNs}\t${st.ctimeNs}\t${st.ino}` : `${path}\t-`;
}

function lstatOrUndefined(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
}

/** Compares every recorded stat with the disk. */
export function checkStamp(path: string): StampCheck {
  let stamp: Stamp;
  try {
    stamp = JSON.parse(readFileSync(path, 'utf8')) as Stamp;
  } catch {
    return { kind: 'stale' };
  }
  if (stamp.version !== STAMP_VERSION) return { kind: 'stale' };
  const differs = (e: Entry) => {
    const p = e.slice(0, e.indexOf('\t'));
    return statLine(p, lstatOrUndefined(p)) !== e ? p : undefined;
  };
  for (const e of stamp.entries) if (differs(e)) return { kind: 'stale' };
  const changed = new Set<string>();
  for (const e of stamp.files) {
    const p = differs(e);
    if (p) changed.add(p);
  }
  return changed.size ? { kind: 'files-changed', stamp, changed } : { kind: 'up-to-date', stamp };
}

/** Collects entries for a stamp; `ok` turns false at the first doubt. */
export class StampRecorder {
  private readonly entries = new Map<string, Entry>();
  private readonly files = new Map<string, Entry>();
  /** Where add() records: analysis inputs ('structure') or action files ('file'). */
  section: 'structure' | 'file' = 'structure';
  ok = true;
  why = '';
  private readonly now = BigInt(Date.now()) * 1_000_000n;

  private fail(why: string): void {
    if (this.ok) this.why = why;
    this.ok = false;
  }

  /** A file or directory whose current state the build used; `trusted` = its content is known to match. */
  add(path: string, trusted: boolean, checkRacy: boolean): void {
    const into = this.section === 'structure' ? this.entries : this.files;
    if (!this.ok || into.has(path)) return;
    const st = lstatOrUndefined(path);
    if (!st) return this.fail(`${path} vanished`);
    if (!trusted) return this.fail(`${path} changed during the build`);
    if (checkRacy && (this.now - st.mtimeNs < RACY_NS || this.now - st.ctimeNs < RACY_NS)) return this.fail(`${path} changed too recently`);
    into.set(path, statLine(path, st));
  }

  /** A path that must stay absent (or keep its kind) for the result to hold. */
  addProbe(path: string, kind: string): void {
    if (!this.ok) return;
    const st = lstatOrUndefined(path);
    const now = st ? (st.isDirectory() ? 'dir' : 'file') : 'none';
    if (now !== kind) return this.fail(`${path} appeared or disappeared during the build`);
    if (kind === 'none') this.entries.set(path, statLine(path, undefined));
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
    const stamp: Stamp = { version: STAMP_VERSION, entries: [...this.entries.values()], files: [...this.files.values()], outputs };
    mkdirSync(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    // The actions file first: a stamp is only ever next to the actions it was written with.
    writeFileSync(`${tmp}.actions`, JSON.stringify(actions));
    renameSync(`${tmp}.actions`, `${path}.actions`);
    writeFileSync(tmp, JSON.stringify(stamp));
    renameSync(tmp, path);
    return true;
  }
}
