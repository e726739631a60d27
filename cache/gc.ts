/**
 * Garbage collection of the local cache: a size-capped LRU over blobs and action-cache rows.
 *
 * Never removed:
 * - what the newest build of each target used (the `target_roots` table: its action keys, and
 *   every blob their results name, trees expanded, logs included);
 * - anything a process using the cache right now relies on: every hash pinned in a live cache
 *   lease (cacheLease.ts: blobs it stored, restored or linked, rows it read or wrote), and rows
 *   used and blobs written since the oldest of those processes started.
 * Otherwise the least recently used rows go first, and a blob goes when no remaining row names
 * it, oldest first, until the store fits in `maxBytes`.
 *
 * Order, so that neither a crash nor a running build sees a row without its blobs or loses a
 * blob it pinned:
 * 1. rows are deleted (one transaction) before the blobs they name;
 * 2. blobs are moved into `<cache>/trash/<gc identity>/` (one rename each; readers still find
 *    them there), then every live lease is read again: a blob pinned meanwhile is put back, the
 *    rest is deleted. A pin made after that second read is made after the blob left `cas/`, so
 *    its process finds the blob missing and treats it as a cache miss (cacheLease.ts).
 * Trash left by a killed gc is handled the same way by the next gc.
 * 3. the unpacked trees (`<cache>/unpacked/<sha256>`, engine/execute/unpackedTrees.ts) whose
 *    tarball's blob is gone: an action using a tree pinned its tarball (a staged input), so a
 *    tree in use is never removed.
 * 4. last, the source copies (`<cache>/sources/`, engine/execute/sourceCopies.ts) no sandbox links
 *    now (link count 1), with temp files left by killed builds: a build that finds its copy gone
 *    makes it again, or copies the source as it would without them.
 */
import { lstatSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './database.js';
import type { ActionCache, ActionResult } from './actionCache.js';
import type { BlobStore } from './blobStore.js';
import type { Sha256 } from './digest.js';
import { readTree } from './tree.js';
import { liveLeases, type LiveLease } from './cacheLease.js';
import { currentProcess, formatIdentity, isAlive, parseIdentity } from './processAlive.js';

export interface GcReport {
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly blobsRemoved: number;
  readonly rowsRemoved: number;
  readonly protectedRows: number;
  /** Blobs kept because a running process pinned them while gc was removing them. */
  readonly blobsPutBack: number;
  /** Processes using the cache while gc ran (their pins were kept). */
  readonly running: readonly LiveLease[];
  /** Unpacked trees removed (their tarball's blob was gone). */
  readonly treesRemoved: number;
  /** Source copies removed (no sandbox linked them). */
  readonly sourceCopiesRemoved: number;
}

/** The folder of the cache holding unpacked tarballs, one per tarball digest. */
export const UNPACKED_DIR = 'unpacked';
/** The folder of the cache holding read-only copies of source files that sandboxes link. */
export const SOURCE_COPIES_DIR = 'sources';

function blobsOf(store: BlobStore, r: ActionResult): Sha256[] {
  const out: Sha256[] = [];
  for (const o of r.outputs) {
    out.push(o.digest.hash);
    if (o.kind === 'dir') {
      const tree = readTree(store, o.digest);
      for (const e of tree?.entries ?? []) if (e.kind === 'file') out.push(e.digest.hash);
    }
  }
  if (r.logDigest) out.push(r.logDigest.hash);
  return out;
}

export function collectGarbage(db: Db, ac: ActionCache, store: BlobStore, maxBytes: number): GcReport {
  settleOldTrash(store);
  const running = liveLeases(store.root, true).filter((l) => l.header.kind === 'use');
  const pinned = new Set<string>();
  for (const l of running) for (const h of l.pins) pinned.add(h);
  const since = running.length ? Math.min(...running.map((l) => l.header.startedMs)) : Infinity;
  const rootKeys = new Set<string>();
  for (const r of db.prepare('SELECT keys FROM target_roots').all() as { keys: string }[]) for (const k of JSON.parse(r.keys) as string[]) rootKeys.add(k);

  const rows = ac.all();
  const refs = new Map<Sha256, number>();
  const rowBlobs = new Map<string, Sha256[]>();
  const protectedBlobs = new Set<Sha256>(pinned as Set<Sha256>);
  const isProtectedRow = (r: (typeof rows)[number]) => rootKeys.has(r.key) || r.lastUsedMs >= since || pinned.has(r.key);
  let protectedRows = 0;
  for (const r of rows) {
    const blobs = blobsOf(store, r.result);
    rowBlobs.set(r.key, blobs);
    for (const b of blobs) refs.set(b, (refs.get(b) ?? 0) + 1);
    if (isProtectedRow(r)) {
      protectedRows++;
      for (const b of blobs) protectedBlobs.add(b);
    }
  }
  const blobs = [...store.entries()];
  const size = new Map(blobs.map((b) => [b.hash, b.size]));
  let total = blobs.reduce((s, b) => s + b.size, 0);
  const bytesBefore = total;
  const doomedBlobs: Sha256[] = [];
  const doomedRows: string[] = [];
  const removeBlob = (h: Sha256) => {
    if (protectedBlobs.has(h) || !size.has(h)) return;
    doomedBlobs.push(h);
    total -= size.get(h)!;
    size.delete(h);
  };
  // 1. Blobs no row names (old logs, leftovers), oldest first.
  for (const b of blobs.filter((x) => !refs.has(x.hash) && x.mtimeMs < since).sort((a, c) => a.mtimeMs - c.mtimeMs)) {
    if (total <= maxBytes) break;
    removeBlob(b.hash);
  }
  // 2. Least recently used rows, then the blobs that no remaining row names.
  const victims = rows.filter((r) => !isProtectedRow(r)).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  for (const r of victims) {
    if (total <= maxBytes) break;
    doomedRows.push(r.key);
    for (const b of rowBlobs.get(r.key) ?? []) {
      const n = (refs.get(b) ?? 1) - 1;
      refs.set(b, n);
      if (n === 0) removeBlob(b);
    }
  }
  db.transaction(() => {
    for (const k of doomedRows) ac.delete(k as Sha256);
  })();
  const putBack = removeBlobs(store, doomedBlobs);
  for (const h of putBack) total += sizeOfBlob(store, h);
  const treesRemoved = removeUnpackedTrees(store);
  const sourceCopiesRemoved = removeUnlinkedSourceCopies(store.root);
  return { bytesBefore, bytesAfter: total, blobsRemoved: doomedBlobs.length - putBack.length, rowsRemoved: doomedRows.length, protectedRows, blobsPutBack: putBack.length, running, treesRemoved, sourceCopiesRemoved };
}

/** The tarball digests of the unpacked trees in a cache (`<cache>/unpacked/<sha256>`; temporaries not counted). */
export function unpackedTrees(cacheDir: string): Sha256[] {
  try {
    return readdirSync(join(cacheDir, UNPACKED_DIR)).filter((n) => /^[0-9a-f]{64}$/.test(n)) as Sha256[];
  } catch {
    return [];
  }
}

/** Removes the unpacked trees whose tarball's blob is no longer in the store. */
function removeUnpackedTrees(store: BlobStore): number {
  const gone = unpackedTrees(store.root).filter((h) => !store.has(h));
  // Trees exist only where xbuild runs as root (a uid range): root removes any of them.
  for (const h of gone) rmSync(join(store.root, UNPACKED_DIR, h), { recursive: true, force: true });
  return gone.length;
}

/** Removes the source copies that no sandbox links now (and temp files of killed builds). */
function removeUnlinkedSourceCopies(cacheDir: string): number {
  const top = join(cacheDir, SOURCE_COPIES_DIR);
  let removed = 0;
  for (const sub of listNames(top)) {
    for (const name of listNames(join(top, sub))) {
      const p = join(top, sub, name);
      try {
        if (lstatSync(p).nlink !== 1) continue;
        unlinkSync(p);
        removed++;
      } catch { /* gone meanwhile */ }
    }
  }
  return removed;
}

function listNames(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function sizeOfBlob(store: BlobStore, h: Sha256): number {
  return store.sizeOf(h) ?? 0;
}

/**
 * Moves `hashes` into this process's trash, reads the leases again, puts back every blob pinned
 * meanwhile and deletes the rest. Returns the blobs put back.
 */
function removeBlobs(store: BlobStore, hashes: readonly Sha256[]): Sha256[] {
  if (hashes.length === 0) return [];
  const trash = join(store.trashDir, formatIdentity(currentProcess()));
  mkdirSync(trash, { recursive: true });
  const moved: Sha256[] = [];
  for (const h of hashes) {
    try {
      renameSync(store.pathOf(h), join(trash, h));
      moved.push(h);
    } catch { /* gone already */ }
  }
  const putBack = settleTrash(store, trash, moved);
  rmSync(trash, { recursive: true, force: true });
  return putBack;
}

/** Puts back the blobs of `trash` that a live lease pins now; deletes the others. */
function settleTrash(store: BlobStore, trash: string, hashes: readonly Sha256[]): Sha256[] {
  const pinned = new Set<string>();
  for (const l of liveLeases(store.root, true)) for (const h of l.pins) pinned.add(h);
  const putBack: Sha256[] = [];
  for (const h of hashes) {
    const p = join(trash, h);
    if (pinned.has(h)) {
      try {
        mkdirSync(join(store.casDir, h.slice(0, 2)), { recursive: true });
        renameSync(p, store.pathOf(h));
        putBack.push(h);
      } catch { /* gone */ }
    } else rmSync(p, { force: true });
  }
  return putBack;
}

/** Trash of gc processes killed mid-way: settled as their gc would have. */
function settleOldTrash(store: BlobStore): void {
  let dirs: string[];
  try {
    dirs = readdirSync(store.trashDir);
  } catch {
    return;
  }
  for (const d of dirs) {
    const owner = parseIdentity(d);
    if (owner && isAlive(owner)) continue;
    const dir = join(store.trashDir, d);
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch { /* gone */ }
    settleTrash(store, dir, names as Sha256[]);
    try {
      rmdirSync(dir);
    } catch {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Parses sizes like 50G, 512M, 1.5T, 1000 (bytes). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) return undefined;
  const mult = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30, T: 2 ** 40 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.floor(Number(m[1]) * mult);
}
