/**
 * Comparing an up-to-date stamp's recorded stats with the disk, shared by the main thread and
 * one helper thread (engine/incremental/stampCheckWorker.ts). The stamp file is read into a
 * SharedArrayBuffer; both threads claim chunks of entries from a shared counter and write one
 * verdict per entry, so whichever thread is free does the next chunk and the helper's start-up
 * delay costs nothing. At 80,000 paths one thread spends ~150 ms in lstat; two cores halve it.
 * Imports nothing of xbuild: the helper thread loads only this.
 */
import { lstatSync } from 'node:fs';

/** Numbers recorded per path: size (-1: must be absent, -2: always recheck), mtime ms, ctime ms, inode. */
export const FIELDS = 4;
const CHUNK = 512;

/** Where the parts of a stamp lie in its buffer (see engine/incremental/upToDate.ts for the file layout). */
export interface StampLayout {
  readonly count: number;
  /** Entries [0, structureCount) are analysis inputs: one mismatch there ends the check. */
  readonly structureCount: number;
  readonly statsOffset: number;
  readonly endsOffset: number;
  readonly pathsOffset: number;
  /** Prepended to relative paths ('' when the process's directory is the workspace root). */
  readonly prefix: string;
}

/** Verdicts per entry: 0 not checked, 1 matches, 2 differs. */
export const MATCHES = 1;
export const DIFFERS = 2;

/** Shared counters: the next unclaimed entry, entries finished, and a stop flag. */
export const NEXT = 0, DONE = 1, STOP = 2;

/** Claims and checks chunks until none are left (or a structure entry differs); returns how many it checked. */
export function checkShare(buffer: SharedArrayBuffer, layout: StampLayout, verdicts: Uint8Array, control: Int32Array): number {
  let checked = 0;
  while (!Atomics.load(control, STOP)) {
    const from = Atomics.add(control, NEXT, CHUNK);
    if (from >= layout.count) break;
    const to = Math.min(layout.count, from + CHUNK);
    if (!checkRange(buffer, layout, verdicts, from, to)) Atomics.store(control, STOP, 1);
    checked += to - from;
    Atomics.add(control, DONE, to - from);
    Atomics.notify(control, DONE);
  }
  return checked;
}

/** Checks entries [from, to); false if a structure entry among them differs. */
export function checkRange(buffer: SharedArrayBuffer, layout: StampLayout, verdicts: Uint8Array, from: number, to: number): boolean {
  const { count, structureCount, prefix } = layout;
  const stats = new Float64Array(buffer, layout.statsOffset, count * FIELDS);
  const ends = new Uint32Array(buffer, layout.endsOffset, count);
  const bytes = Buffer.from(buffer);
  const base = layout.pathsOffset;
  const start = from === 0 ? 0 : ends[from - 1];
  const text = bytes.toString('utf8', base + start, base + ends[to - 1]);
  const ascii = text.length === ends[to - 1] - start;
  let structureHolds = true;
  for (let i = from; i < to; i++) {
    const s = i === 0 ? 0 : ends[i - 1];
    const p = ascii ? text.slice(s - start, ends[i] - start) : bytes.toString('utf8', base + s, base + ends[i]);
    const ok = matches(stats, i, p.charCodeAt(0) === 47 /* '/' */ ? p : prefix + p);
    verdicts[i] = ok ? MATCHES : DIFFERS;
    if (!ok && i < structureCount) structureHolds = false;
  }
  return structureHolds;
}

function matches(stats: Float64Array, i: number, path: string): boolean {
  let st;
  try {
    st = lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return false; // unreadable (EACCES, ENOTDIR...): the full path looks at it properly
  }
  const o = i * FIELDS;
  if (!st) return stats[o] === -1;
  return stats[o] === st.size && stats[o + 1] === st.mtimeMs && stats[o + 2] === st.ctimeMs && stats[o + 3] === st.ino;
}
