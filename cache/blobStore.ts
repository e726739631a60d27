/**
 * The content-addressed blob store: `<root>/cas/<hh>/<sha256>`, one read-only file per blob.
 *
 * Invariants:
 * - A blob file exists under its name only with exactly the bytes that hash to that name at the
 *   moment it was written: writes go to a temp file in the same filesystem, are fsynced, then
 *   renamed into place (atomic). A `kill -9` leaves at worst a stray temp file, never a torn blob.
 * - A blob can still rot on disk (bit flip, a user editing it as root): readers that materialise
 *   a blob call `verify` (or `copyOutVerified`) so a corrupted blob is detected and dropped.
 * - Callers write blobs BEFORE the action-cache row that names them.
 */
import {
  closeSync, copyFileSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync,
  statSync, writeSync, writeFileSync, chmodSync, linkSync, readdirSync, utimesSync, createReadStream, createWriteStream,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { KnownDirs } from './knownDirs.js';
import { sha256Bytes, sha256FileSync, sha256Tap, type Digest, type Sha256 } from './digest.js';

/**
 * Size, mtime and ctime of a blob when it was linked into a sandbox. The ctime cannot be set
 * back by a writer (unlike the mtime), so a write through the link is seen even when it kept
 * the size and restored the mtime; linking and unlinking move it too, and then the blob is
 * re-hashed.
 */
export interface BlobStamp {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

export class BlobStore {
  readonly casDir: string;
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.casDir = join(root, 'cas');
    this.tmpDir = join(root, 'tmp');
    mkdirSync(this.casDir, { recursive: true });
    mkdirSync(this.tmpDir, { recursive: true });
  }

  pathOf(hash: Sha256): string {
    return join(this.casDir, hash.slice(0, 2), hash);
  }

  has(hash: Sha256): boolean {
    return existsSync(this.pathOf(hash));
  }

  /** Size on disk, or undefined when absent. */
  sizeOf(hash: Sha256): number | undefined {
    try {
      return statSync(this.pathOf(hash)).size;
    } catch {
      return undefined;
    }
  }

  private readonly tempPrefix = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private tempCounter = 0;
  /** Shard directories known to exist (one mkdir per shard per process, not per blob). */
  private readonly shards = new KnownDirs();

  /** A fresh temp path inside the store's filesystem (for atomic renames). */
  tempPath(): string {
    return join(this.tmpDir, `${this.tempPrefix}-${++this.tempCounter}`);
  }

  putBytes(bytes: Uint8Array | string): Digest {
    const d = sha256Bytes(bytes);
    if (this.has(d.hash)) return d;
    const tmp = this.tempPath();
    const fd = openSync(tmp, 'w', 0o444);
    try {
      writeSync(fd, typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.commit(tmp, d.hash);
    return d;
  }

  /** Copies a file into the store; the source is left untouched. */
  async putFile(src: string): Promise<Digest> {
    return this.putFileSync(src);
  }

  putFileSync(src: string): Digest {
    const tmp = this.tempPath();
    copyFileSync(src, tmp);
    // Hash the copy, not the source: the source could change between hashing and copying.
    const d = sha256FileSync(tmp);
    if (this.has(d.hash)) {
      rmSync(tmp, { force: true });
      return d;
    }
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.commit(tmp, d.hash);
    return d;
  }

  /**
   * Like putFileSync, but the blob is not fsynced yet: call `syncPending()` and await it before
   * writing any row that names the blob. On the hot path this keeps fsync off the main thread
   * (one per action costs milliseconds here); readers verify digests, so a blob torn by a power
   * loss before its fsync is detected, and no row can name it.
   */
  putFileDeferred(src: string): Digest {
    // A small file is read once and hashed in memory: the bytes hashed are the bytes stored, and
    // a blob already in the store (an output that came out the same) costs no temp file at all.
    const small = readSmallFile(src, SMALL_FILE_BYTES);
    if (small) return this.putBytesDeferred(small);
    const tmp = this.tempPath();
    copyFileSync(src, tmp);
    const d = sha256FileSync(tmp);
    if (!this.addDeferred(d, () => tmp)) rmSync(tmp, { force: true });
    return d;
  }

  /** putFileDeferred for bytes in memory (e.g. a small action log). */
  putBytesDeferred(bytes: Uint8Array): Digest {
    const d = sha256Bytes(bytes);
    this.addDeferred(d, () => {
      const tmp = this.tempPath();
      writeFileSync(tmp, bytes);
      return tmp;
    });
    return d;
  }

  /**
   * A deferred put of bytes hashing to `d`: commits the temp file `tmp()` gives unless the blob
   * is already stored (then a pending fsync of it is waited for too). False when not committed.
   */
  private addDeferred(d: Digest, tmp: () => string): boolean {
    if (this.has(d.hash)) {
      if (this.syncing.has(d.hash)) this.unsynced.add(d.hash);
      return false;
    }
    this.commit(tmp(), d.hash);
    this.unsynced.add(d.hash);
    this.freshThisRun.add(d.hash);
    return true;
  }

  private readonly unsynced = new Set<Sha256>();
  /** Blobs whose bytes this process hashed: stored (hashed as they came in) or verified. */
  private readonly freshThisRun = new Set<Sha256>();
  private readonly syncing = new Map<Sha256, Promise<void>>();

  /** Resolves once every blob stored with putFileDeferred so far is on disk (fsynced, in parallel). */
  async syncPending(): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const h of this.unsynced) {
      let p = this.syncing.get(h);
      if (!p) {
        p = (async () => {
          const fh = await open(this.pathOf(h), 'r');
          try { await fh.sync(); } finally { await fh.close(); }
        })().catch(() => { /* removed meanwhile: no row will name it */ }).finally(() => this.syncing.delete(h));
        this.syncing.set(h, p);
      }
      waits.push(p);
    }
    this.unsynced.clear();
    await Promise.all(waits);
  }

  /** Streams bytes in, verifying them against `expected`; on mismatch nothing is stored. */
  async putStream(src: NodeJS.ReadableStream, expected: Digest): Promise<void> {
    const tmp = this.tempPath();
    const tap = sha256Tap();
    try {
      const out = createWriteStream(tmp, { mode: 0o444 });
      await pipeline(src, tap.stream, out);
      const got = tap.digest();
      if (got.hash !== expected.hash || got.sizeBytes !== expected.sizeBytes) {
        throw new Error(`blob digest mismatch: expected ${expected.hash}/${expected.sizeBytes}, got ${got.hash}/${got.sizeBytes}`);
      }
      // An async fsync: several downloads stream at once, and a sync one would stall them all.
      const fh = await open(tmp, 'r');
      try { await fh.sync(); } finally { await fh.close(); }
      this.commit(tmp, expected.hash);
      this.freshThisRun.add(expected.hash);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /** Re-hashes a blob; false when it is missing or its bytes no longer match its name. */
  verify(hash: Sha256): boolean {
    try {
      return sha256FileSync(this.pathOf(hash)).hash === hash;
    } catch {
      return false;
    }
  }

  /**
   * Copies a blob to `dest` and checks the copy's digest. A corrupted blob is removed from the
   * store (so the action that made it runs again) and false is returned.
   */
  copyOutVerified(hash: Sha256, dest: string, mode: number): boolean {
    try {
      copyFileSync(this.pathOf(hash), dest);
    } catch {
      return false;
    }
    // A blob this process just wrote or downloaded was hashed on the way in: copying is enough.
    if (!this.freshThisRun.has(hash) && sha256FileSync(dest).hash !== hash) {
      rmSync(dest, { force: true });
      this.remove(hash);
      return false;
    }
    chmodSync(dest, mode);
    return true;
  }

  /**
   * Hard-links a blob at `dest`, for an input staged into a sandbox: no bytes are copied or
   * freed later. A blob this process has not hashed yet is verified first (once). Returns the
   * blob's size and mtime to check with `unchangedSince` once the action is done (the link
   * shares the blob's inode, so an action writing its input would write the blob), or
   * undefined when the blob is missing or corrupt (it is then removed). Link errors (EXDEV,
   * EMLINK) are thrown for the caller to copy instead.
   */
  linkOut(hash: Sha256, dest: string): BlobStamp | undefined {
    if (!this.freshThisRun.has(hash)) {
      if (!this.verify(hash)) {
        this.remove(hash);
        return undefined;
      }
      this.freshThisRun.add(hash);
    }
    const path = this.pathOf(hash);
    linkSync(path, dest);
    const st = statSync(path);
    return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  }

  /** Whether a linked-out blob still holds its bytes; re-hashes only when its stat moved. A changed blob is removed. */
  unchangedSince(hash: Sha256, stamp: BlobStamp): boolean {
    try {
      const st = statSync(this.pathOf(hash));
      if (st.size === stamp.size && st.mtimeMs === stamp.mtimeMs && st.ctimeMs === stamp.ctimeMs) return true;
    } catch {
      return false;
    }
    if (this.verify(hash)) return true;
    this.freshThisRun.delete(hash);
    this.remove(hash);
    return false;
  }

  createReadStream(hash: Sha256) {
    return createReadStream(this.pathOf(hash));
  }

  /** Marks a blob as recently used (its mtime), for LRU garbage collection. */
  touch(hash: Sha256): void {
    const now = new Date();
    try { utimesSync(this.pathOf(hash), now, now); } catch { /* absent: nothing to mark */ }
  }

  remove(hash: Sha256): void {
    rmSync(this.pathOf(hash), { force: true });
  }

  /** Lists every blob with its size and last-use time (for gc and stats). */
  *entries(): Generator<{ hash: Sha256; size: number; mtimeMs: number }> {
    for (const shard of safeReaddir(this.casDir)) {
      for (const name of safeReaddir(join(this.casDir, shard))) {
        try {
          const st = statSync(join(this.casDir, shard, name));
          yield { hash: name as Sha256, size: st.size, mtimeMs: st.mtimeMs };
        } catch { /* removed concurrently */ }
      }
    }
  }

  /** Removes temp files left by killed processes. */
  sweepTemp(olderThanMs = 3_600_000): void {
    const now = Date.now();
    for (const name of safeReaddir(this.tmpDir)) {
      const p = join(this.tmpDir, name);
      try {
        if (now - statSync(p).mtimeMs > olderThanMs) rmSync(p, { force: true, recursive: true });
      } catch { /* gone */ }
    }
  }

  private commit(tmp: string, hash: Sha256): void {
    const dest = this.pathOf(hash);
    chmodSync(tmp, 0o444);
    this.shards.moveInto(dirname(dest), () => renameSync(tmp, dest));
  }
}

/** Files up to this size are stored from memory (read once) rather than copied then hashed. */
const SMALL_FILE_BYTES = 1 << 20;

/** The whole file when it is at most `limit` bytes (read through one descriptor), else undefined. */
function readSmallFile(path: string, limit: number): Buffer | undefined {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).size > limit ? undefined : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
