/**
 * File content digests with a local fingerprint table, so unchanged files are not rehashed.
 *
 * For a path we keep (size, mtime ns, ctime ns, inode) -> SHA-256 plus an xxh64 of the bytes.
 * - stat unchanged: the stored SHA-256 is used without reading the file.
 * - stat changed ("touched"): the file is read once and xxh64'd (~5x cheaper than SHA-256);
 *   if the xxh64 matches the stored one, the stored SHA-256 is kept (a local-only shortcut:
 *   xxh64 never names content across machines), otherwise the file is SHA-256'd.
 * - Racy files (modified less than 2 s before we looked) are not remembered, as git does, so
 *   an edit within the same timestamp tick is never missed.
 * Directories are digested as the SHA-256 of their canonical Tree listing.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import xxhash from 'xxhash-wasm';
import type { Db } from '../../cache/database.js';
import { sha256Hex, type Sha256 } from '../../cache/digest.js';
import { canonicalTreeJson, type TreeEntry } from '../../cache/tree.js';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let xx: Hasher | undefined;
/** Must be awaited once before digests are asked for. */
export async function initFileDigests(): Promise<void> {
  xx ??= await xxhash();
}

const RACY_NS = 2_000_000_000n;
const buf = Buffer.allocUnsafe(1 << 20);

interface Row { size: number; mtime_ns: string; ctime_ns: string; ino: string; hash: string; xxh?: string }

export class FileDigests {
  private readonly get;
  private readonly put;
  private readonly memo = new Map<string, Sha256>();
  private readonly pendingRows: { path: string; row: Row }[] = [];

  constructor(db: Db) {
    db.exec('CREATE TABLE IF NOT EXISTS file_xxh (path TEXT PRIMARY KEY, xxh TEXT NOT NULL)');
    this.get = db.prepare('SELECT f.size, f.mtime_ns, f.ctime_ns, f.ino, f.hash, x.xxh FROM file_fingerprints f LEFT JOIN file_xxh x ON x.path = f.path WHERE f.path = ?');
    this.put = db.transaction((rows: { path: string; row: Row }[]) => {
      const a = db.prepare('INSERT OR REPLACE INTO file_fingerprints (path, size, mtime_ns, ctime_ns, ino, hash) VALUES (?, ?, ?, ?, ?, ?)');
      const b = db.prepare('INSERT OR REPLACE INTO file_xxh (path, xxh) VALUES (?, ?)');
      for (const { path, row } of rows) {
        a.run(path, row.size, row.mtime_ns, row.ctime_ns, row.ino, row.hash);
        if (row.xxh) b.run(path, row.xxh);
      }
    });
  }

  /** SHA-256 of a file (or of a directory's Tree). Throws ENOENT for a missing path. */
  digest(absPath: string): Sha256 {
    const memo = this.memo.get(absPath);
    if (memo) return memo;
    const st = statSync(absPath, { bigint: true });
    const d = st.isDirectory() ? this.dirDigest(absPath) : this.fileDigest(absPath, st);
    this.memo.set(absPath, d);
    return d;
  }

  /**
   * Whether a file still has the content this process used (its memoised digest): by stat when
   * the fingerprint matches, else by hashing it again. False if it changed or vanished.
   */
  unchangedSinceUse(absPath: string): boolean {
    const used = this.memo.get(absPath);
    if (!used) return false;
    this.memo.delete(absPath);
    try {
      return this.digest(absPath) === used;
    } catch {
      return false;
    } finally {
      this.memo.set(absPath, used);
    }
  }

  /** Forget what this process memoised (e.g. after outputs were rewritten). */
  forget(absPath: string): void {
    this.memo.delete(absPath);
  }

  /** Writes the fingerprints learned so far in one transaction. */
  flush(): void {
    if (this.pendingRows.length === 0) return;
    this.put(this.pendingRows.splice(0));
  }

  /**
   * Records that `absPath`, an output xbuild just wrote, has digest `hash`. Not subject to the
   * racy rule: xbuild made these bytes itself, and only xbuild writes under xbuild-out/.
   */
  remember(absPath: string, hash: Sha256): void {
    const st = statSync(absPath, { bigint: true });
    this.memo.set(absPath, hash);
    this.pendingRows.push({ path: absPath, row: rowOf(st, hash) });
  }

  /** The digest recorded for a path if its stat still matches, without reading it. */
  known(absPath: string): Sha256 | undefined {
    let st: BigIntStats;
    try {
      st = statSync(absPath, { bigint: true });
    } catch {
      return undefined;
    }
    const row = this.get.get(absPath) as Row | undefined;
    return row && sameStat(row, st) ? (row.hash as Sha256) : undefined;
  }

  private fileDigest(absPath: string, st: BigIntStats): Sha256 {
    const row = this.get.get(absPath) as Row | undefined;
    if (row && sameStat(row, st)) return row.hash as Sha256;
    const { sha, xxh } = hashBoth(absPath, row?.xxh !== undefined && row.size === Number(st.size));
    const hash = sha ?? (row && row.xxh === xxh ? (row.hash as Sha256) : hashBoth(absPath, false).sha!);
    if (!isRacy(st)) this.pendingRows.push({ path: absPath, row: { ...rowOf(st, hash), xxh } });
    return hash;
  }

  private dirDigest(absPath: string): Sha256 {
    const entries: TreeEntry[] = [];
    const walk = (rel: string) => {
      for (const name of readdirSync(join(absPath, rel)).sort()) {
        const r = rel ? `${rel}/${name}` : name;
        const abs = join(absPath, r);
        const st = lstatSync(abs);
        if (st.isSymbolicLink()) entries.push({ path: r, kind: 'symlink', target: readlinkSync(abs) });
        else if (st.isDirectory()) {
          entries.push({ path: r, kind: 'dir' });
          walk(r);
        } else entries.push({ path: r, kind: 'file', digest: { hash: this.digest(abs), sizeBytes: st.size }, executable: (st.mode & 0o111) !== 0 });
      }
    };
    walk('');
    // The same canonical Tree encoding as stored directory outputs, so the digests compare.
    return sha256Hex(canonicalTreeJson({ entries }));
  }
}

/** Reads a file once; returns its xxh64, and its SHA-256 unless `xxhOnly`. */
function hashBoth(path: string, xxhOnly: boolean): { sha?: Sha256; xxh: string } {
  const fd = openSync(path, 'r');
  try {
    const sha = xxhOnly ? undefined : createHash('sha256');
    const x = xx!.create64();
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = buf.subarray(0, n);
      sha?.update(chunk);
      x.update(chunk);
    }
    return { sha: sha?.digest('hex') as Sha256 | undefined, xxh: x.digest().toString(16) };
  } finally {
    closeSync(fd);
  }
}

function rowOf(st: BigIntStats, hash: Sha256): Row {
  return { size: Number(st.size), mtime_ns: String(st.mtimeNs), ctime_ns: String(st.ctimeNs), ino: String(st.ino), hash };
}

function sameStat(row: Row, st: BigIntStats): boolean {
  return row.size === Number(st.size) && row.mtime_ns === String(st.mtimeNs) && row.ctime_ns === String(st.ctimeNs) && row.ino === String(st.ino);
}

function isRacy(st: BigIntStats): boolean {
  const now = BigInt(Date.now()) * 1_000_000n;
  return now - st.mtimeNs < RACY_NS || now - st.ctimeNs < RACY_NS;
}
