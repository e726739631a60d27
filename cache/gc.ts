/**
 * Garbage collection of the local cache: a size-capped LRU over blobs and action-cache rows.
 *
 * Never removed:
 * - what the newest build of each target used (the `target_roots` table: its action keys, and
 *   every blob their results name, trees expanded, logs included);
 * - anything a build still running may need: rows used and blobs written since the oldest
 *   running build started (builds with no finish time whose process is alive).
 * Otherwise the least recently used rows go first, and a blob goes when no remaining row names
 * it, oldest first, until the store fits in `maxBytes`. Rows are deleted before the blobs they
 * name, so a crash mid-gc never leaves a row pointing at nothing.
 */
import type { Db } from './database.js';
import type { ActionCache, ActionResult } from './actionCache.js';
import type { BlobStore } from './blobStore.js';
import type { Sha256 } from './digest.js';
import { readTree } from './tree.js';
import { isProcessAlive } from './processAlive.js';

export interface GcReport {
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  readonly blobsRemoved: number;
  readonly rowsRemoved: number;
  readonly protectedRows: number;
}

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
  const running = (db.prepare('SELECT pid, started_ms FROM builds WHERE finished_ms IS NULL').all() as { pid: number; started_ms: number }[])
    .filter((b) => b.pid && isProcessAlive(b.pid));
  const since = running.length ? Math.min(...running.map((b) => b.started_ms)) : Infinity;
  const rootKeys = new Set<string>();
  for (const r of db.prepare('SELECT keys FROM target_roots').all() as { keys: string }[]) for (const k of JSON.parse(r.keys) as string[]) rootKeys.add(k);

  const rows = ac.all();
  const refs = new Map<Sha256, number>();
  const rowBlobs = new Map<string, Sha256[]>();
  const protectedBlobs = new Set<Sha256>();
  let protectedRows = 0;
  for (const r of rows) {
    const blobs = blobsOf(store, r.result);
    rowBlobs.set(r.key, blobs);
    for (const b of blobs) refs.set(b, (refs.get(b) ?? 0) + 1);
    if (rootKeys.has(r.key) || r.lastUsedMs >= since) {
      protectedRows++;
      for (const b of blobs) protectedBlobs.add(b);
    }
  }
  const blobs = [...store.entries()];
  const size = new Map(blobs.map((b) => [b.hash, b.size]));
  let total = blobs.reduce((s, b) => s + b.size, 0);
  const bytesBefore = total;
  let blobsRemoved = 0, rowsRemoved = 0;
  const removeBlob = (h: Sha256) => {
    if (protectedBlobs.has(h) || !size.has(h)) return;
    store.remove(h);
    total -= size.get(h)!;
    size.delete(h);
    blobsRemoved++;
  };
  // 1. Blobs no row names (old logs, leftovers), oldest first.
  for (const b of blobs.filter((x) => !refs.has(x.hash) && x.mtimeMs < since).sort((a, c) => a.mtimeMs - c.mtimeMs)) {
    if (total <= maxBytes) break;
    removeBlob(b.hash);
  }
  // 2. Least recently used rows, then the blobs that no remaining row names.
  const victims = rows.filter((r) => !rootKeys.has(r.key) && r.lastUsedMs < since).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
  for (const r of victims) {
    if (total <= maxBytes) break;
    ac.delete(r.key);
    rowsRemoved++;
    for (const b of rowBlobs.get(r.key) ?? []) {
      const n = (refs.get(b) ?? 1) - 1;
      refs.set(b, n);
      if (n === 0) removeBlob(b);
    }
  }
  return { bytesBefore, bytesAfter: total, blobsRemoved, rowsRemoved, protectedRows };
}

/** Parses sizes like 50G, 512M, 1.5T, 1000 (bytes). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?$/i.exec(text.trim());
  if (!m) return undefined;
  const mult = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30, T: 2 ** 40 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  return Math.floor(Number(m[1]) * mult);
}
