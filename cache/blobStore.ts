/**
 * The content-addressed blob store: `<root>/cas/<hh>/<sha256>`, one read-only file per blob.
 *
 * Invariants:
 * - A blob file exists under its name only with exactly the bytes that hash to that name at the
 *   moment it was written: bytes are hashed by this process as they are stored (never taken on
 *   a caller's word), written to a temp file in the same filesystem, fsynced, then renamed into
 *   place (atomic). A `kill -9` leaves at worst a stray temp file, never a torn blob; temp files
 *   are named after their process (`<identity>-...`), so `sweepTemp` removes those of dead ones.
 * - A blob can still change on disk afterwards: rot, a user editing it as root, or an action
 *   writing through a hard link it was given as an input. So this process trusts a blob's bytes
 *   only while the blob file's stat (size, mtime, ctime, inode) is the one it had when this
 *   process last hashed it. Writing a file always moves its ctime, which no one can set back
 *   (restoring the mtime with utimes moves it too); any other stat means doubt, and a blob in
 *   doubt is hashed again before use. A blob that no longer matches its name is removed and
 *   reported through `onDamaged`; the action that made it runs again.
 * - Every blob this process stores or uses is pinned in its cache lease first (cacheLease.ts),
 *   so `cache gc` in another process leaves it alone. A blob gc has just moved aside is still
 *   found in `<root>/trash/` by readers until gc puts it back.
 * - Callers write blobs BEFORE the action-cache row that names them.
 */
import {
  closeSync, copyFileSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, rmSync,
  statSync, writeSync, writeFileSync, chmodSync, linkSync, readdirSync, utimesSync, createReadStream,
  mkdirSync, type Stats,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, dirname } from 'node:path';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { KnownDirs } from './knownDirs.js';
import { sha256Bytes, sha256Fd, sha256FileSync, sha256Tap, type Digest, type Sha256 } from './digest.js';
import type { Pinner } from './cacheLease.js';
import { currentProcess, formatIdentity, isAlive, parseIdentity } from './processAlive.js';

/** Flushes a written temp file to disk before it is renamed into the store. */
function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A file's stat as this process last saw it with known-good bytes (a blob, a source copy:
 * engine/execute/sourceCopies.ts): any write moves the ctime, so another stat means doubt.
 */
export interface FileSig {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
}

/** The stat of a blob right after it was linked into a sandbox, to compare once the action is done. */
export interface BlobStamp extends FileSig {
  /** The link in the sandbox (the same inode), checked when the blob itself is gone meanwhile. */
  readonly linkPath: string;
}

export function sigOf(st: Stats): FileSig {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameSig(a: FileSig | undefined, b: FileSig | undefined): boolean {
  return !!a && !!b && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

export function statSig(path: string): FileSig | undefined {
  try {
    return sigOf(statSync(path));
  } catch {
    return undefined;
  }
}

export class BlobStore {
  readonly casDir: string;
  private readonly tmpDir: string;
  /** Where `cache gc` parks blobs while it checks the leases (`trash/<gc identity>/<sha256>`). */
  readonly trashDir: string;
  /** The cache lease of this process: every blob is pinned before it is checked or used. */
  lease?: Pinner;
  /** Told about every blob found not to match its name (it has been removed). */
  onDamaged?: (hash: Sha256, detail: string) => void;

  constructor(readonly root: string) {
    this.casDir = join(root, 'cas');
    this.tmpDir = join(root, 'tmp');
    this.trashDir = join(root, 'trash');
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

  private readonly tempPrefix = `${formatIdentity(currentProcess())}-${randomBytes(6).toString('hex')}`;
  private tempCounter = 0;
  /** Shard directories known to exist (one mkdir per shard per process, not per blob). */
  private readonly shards = new KnownDirs();

  /** A fresh temp path inside the store's filesystem (for atomic renames), named after this process. */
  tempPath(): string {
    return join(this.tmpDir, `${this.tempPrefix}-${++this.tempCounter}`);
  }

  private pin(hash: Sha256): void {
    this.lease?.pin(hash);
  }

  putBytes(bytes: Uint8Array | string): Digest {
    const d = sha256Bytes(bytes);
    this.pin(d.hash);
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
    this.pin(d.hash);
    if (this.has(d.hash)) {
      rmSync(tmp, { force: true });
      return d;
    }
    fsyncFile(tmp);
    this.commit(tmp, d.hash);
    return d;
  }

  /**
   * Stores a copy of `src` as the blob `expected` if its bytes hash to it (e.g. an output's copy
   * in xbuild-out, when its blob was found damaged and dropped); false when they do not.
   */
  putIfMatches(expected: Digest, src: string): boolean {
    const tmp = this.tempPath();
    try {
      copyFileSync(src, tmp);
      const d = sha256FileSync(tmp);
      if (d.hash !== expected.hash || d.sizeBytes !== expected.sizeBytes) return false;
      this.pin(d.hash);
      fsyncFile(tmp);
      this.commit(tmp, d.hash);
      return true;
    } catch {
      return false;
    } finally {
      rmSync(tmp, { force: true });
    }
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
    this.pin(d.hash);
    if (this.has(d.hash)) {
      if (this.syncing.has(d.hash)) this.unsynced.add(d.hash);
      return false;
    }
    this.commit(tmp(), d.hash);
    this.unsynced.add(d.hash);
    return true;
  }

  private readonly unsynced = new Set<Sha256>();
  /** Blobs whose bytes this process knows, with the stat their file had then (see the invariants). */
  private readonly known = new Map<Sha256, FileSig>();
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

  /**
   * Streams bytes in, verifying them against `expected`; on mismatch nothing is stored. More
   * bytes than `expected.sizeBytes` fail the stream at once (an endless body is not read on).
   */
  async putStream(src: NodeJS.ReadableStream, expected: Digest): Promise<void> {
    this.pin(expected.hash);
    const tmp = this.tempPath();
    const tap = sha256Tap(expected.sizeBytes);
    try {
      // Opened (created) before the first byte: a write stream opening its file itself could
      // create it after a failed pipeline's clean-up below had run, leaving it behind.
      const out = (await open(tmp, 'w', 0o444)).createWriteStream();
      await pipeline(src, tap.stream, out);
      const got = tap.digest();
      if (got.hash !== expected.hash || got.sizeBytes !== expected.sizeBytes) {
        throw new Error(`blob digest mismatch: expected ${expected.hash}/${expected.sizeBytes}, got ${got.hash}/${got.sizeBytes}`);
      }
      // An async fsync: several downloads stream at once, and a sync one would stall them all.
      const fh = await open(tmp, 'r');
      try { await fh.sync(); } finally { await fh.close(); }
      this.commit(tmp, expected.hash);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Re-hashes a blob (always: this is the check that does not trust a stat); false when it is
   * missing or its bytes no longer match its name. A blob that does not match is NOT removed
   * here: see `check`.
   */
  verify(hash: Sha256): boolean {
    return this.rehash(this.pathOf(hash), hash) === 'good';
  }

  /** `verify` without blocking: the blob is streamed through SHA-256 (for uploads running side by side). */
  async verifyStreaming(d: Digest): Promise<boolean> {
    const tap = sha256Tap(d.sizeBytes);
    try {
      await pipeline(createReadStream(this.pathOf(d.hash)), tap.stream, new Writable({ write: (_c, _e, cb) => cb() }));
    } catch {
      return false;
    }
    const got = tap.digest();
    return got.hash === d.hash && got.sizeBytes === d.sizeBytes;
  }

  /**
   * Whether a blob holds its bytes, re-hashing it only when its stat is not the one this process
   * last knew good. A damaged blob is removed (and reported); a missing one is just false.
   */
  check(hash: Sha256): boolean {
    const path = this.pathOf(hash);
    if (sameSig(statSig(path), this.known.get(hash))) return true;
    const r = this.rehash(path, hash);
    if (r === 'bad') this.drop(hash, 'its bytes no longer match its name');
    return r === 'good';
  }

  /** Hashes `path` through one descriptor; records the stat as known good when it matched and held still. */
  private rehash(path: string, hash: Sha256): 'good' | 'bad' | 'missing' {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return 'missing';
    }
    try {
      const before = sigOf(fstatSync(fd));
      if (sha256Fd(fd).hash !== hash) return 'bad';
      const after = sigOf(fstatSync(fd));
      if (sameSig(before, after)) this.known.set(hash, after);
      return 'good';
    } catch {
      return 'missing';
    } finally {
      closeSync(fd);
    }
  }

  /** Removes a damaged blob and says so. */
  private drop(hash: Sha256, why: string): void {
    this.remove(hash);
    this.onDamaged?.(hash, why);
  }

  /**
   * Copies a blob to `dest` and makes sure the copy holds the blob's bytes: when the blob file's
   * stat after the copy is the one this process knows good, no write reached it before or
   * during the copy; otherwise the copy is hashed. A corrupted blob is removed from the store
   * (so the action that made it runs again) and false is returned.
   */
  copyOutVerified(hash: Sha256, dest: string, mode: number): boolean {
    this.pin(hash);
    let src = this.pathOf(hash);
    try {
      copyFileSync(src, dest);
    } catch (e) {
      const parked = (e as NodeJS.ErrnoException).code === 'ENOENT' ? this.inTrash(hash) : undefined;
      if (!parked) return false;
      try {
        copyFileSync(parked, dest);
        src = parked;
      } catch {
        return false;
      }
    }
    const after = statSig(src);
    if (!sameSig(after, this.known.get(hash))) {
      const got = sha256FileSync(dest);
      if (got.hash !== hash) {
        rmSync(dest, { force: true });
        this.drop(hash, 'its bytes no longer match its name');
        return false;
      }
    }
    chmodSync(dest, mode);
    return true;
  }

  /**
   * Hard-links a blob at `dest`, for an input staged into a sandbox: no bytes are copied or
   * freed later. A blob whose stat is not the one this process knows good is hashed first.
   * Returns the blob's stat right after the link, to check with `unchangedSince` once the action
   * is done (the link shares the blob's inode, so an action writing its input would write the
   * blob), or undefined when the blob is missing or corrupt (it is then removed). Link errors
   * (EXDEV, EMLINK) are thrown for the caller to copy instead.
   */
  linkOut(hash: Sha256, dest: string): BlobStamp | undefined {
    this.pin(hash);
    if (!this.check(hash)) {
      const parked = this.inTrash(hash);
      if (!parked || this.rehash(parked, hash) !== 'good') return undefined;
      linkSync(parked, dest);
      const st = statSync(dest);
      return { ...sigOf(st), linkPath: dest };
    }
    const path = this.pathOf(hash);
    linkSync(path, dest);
    // The link itself moved the ctime: what it is now is the stat to hold the action to.
    const sig = sigOf(statSync(path));
    this.known.set(hash, sig);
    return { ...sig, linkPath: dest };
  }

  /**
   * Whether a linked-out blob still holds its bytes once the action is done: the same stat as
   * right after the link, or else the same bytes (hashed again). A changed blob is removed and
   * reported. When the blob itself is gone meanwhile, its link in the sandbox is checked.
   */
  unchangedSince(hash: Sha256, stamp: BlobStamp): boolean {
    const path = this.pathOf(hash);
    let st = statSig(path);
    let where = path;
    if (!st || st.ino !== stamp.ino) {
      const linked = statSig(stamp.linkPath);
      if (linked?.ino === stamp.ino) {
        st = linked;
        where = stamp.linkPath;
      } else if (!st) return false;
    }
    if (sameSig(st, stamp)) return true;
    const r = this.rehash(where, hash);
    if (r === 'good') return true;
    if (where === path || statSig(path)?.ino === stamp.ino) this.drop(hash, 'it was written to while linked into a sandbox');
    else this.onDamaged?.(hash, 'it was written to while linked into a sandbox');
    return false;
  }

  createReadStream(hash: Sha256) {
    return createReadStream(this.pathOf(hash));
  }

  /** Marks a blob as recently used (its mtime), for LRU garbage collection. */
  touch(hash: Sha256): void {
    const now = new Date();
    try { utimesSync(this.pathOf(hash), now, now); } catch { /* absent: nothing to mark */ }
    this.known.delete(hash);
  }

  remove(hash: Sha256): void {
    this.known.delete(hash);
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

  /** Where gc parked a blob, if it did (it is put back, or deleted, once gc has read the leases). */
  private inTrash(hash: Sha256): string | undefined {
    for (const gc of safeReaddir(this.trashDir)) {
      const p = join(this.trashDir, gc, hash);
      if (existsSync(p)) return p;
    }
    return undefined;
  }

  /**
   * Removes temp files left by processes that are gone (killed builds, downloads cut short).
   * A name without a process identity (older xbuild) goes once it is an hour old.
   */
  sweepTemp(): number {
    const now = Date.now();
    let removed = 0;
    for (const name of safeReaddir(this.tmpDir)) {
      const owner = ownerOfTemp(name);
      const p = join(this.tmpDir, name);
      try {
        if (owner ? isAlive(owner) : now - statSync(p).mtimeMs < 3_600_000) continue;
        rmSync(p, { force: true, recursive: true });
        removed++;
      } catch { /* gone */ }
    }
    return removed;
  }

  private commit(tmp: string, hash: Sha256): void {
    const dest = this.pathOf(hash);
    chmodSync(tmp, 0o444);
    this.shards.moveInto(dirname(dest), () => renameSync(tmp, dest));
    // The bytes were hashed by this process on their way in: known good with the stat they have now.
    const sig = statSig(dest);
    if (sig) this.known.set(hash, sig);
  }
}

/** The process that made a temp file, from its name `<identity>-<random>-<n>`. */
function ownerOfTemp(name: string) {
  const m = /^(\d+(?:@[0-9a-f-]+:\d+)?)-[0-9a-f]{12}-\d+$/.exec(name);
  return m ? parseIdentity(m[1]) : undefined;
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
