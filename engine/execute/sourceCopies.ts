/**
 * Read-only copies of source files that sandboxes hard-link instead of getting a copy each:
 * `<cache>/sources/<hh>/<sha256>-<mtime ms>-<r|x>`, one per content, mtime and executable bit.
 *
 * Why: a copy staged into a sandbox is a new file per action, and deleting it when the sandbox
 * is cleared frees its blocks, ~0.5 ms on these discard-mounted disks (the largest single cost
 * of a cold action, bench/RESULTS.md). A link is made and removed without touching data blocks,
 * and a source staged again (a rebuild with unchanged sources) costs one link.
 *
 * Invariants (those of the blob store, cache/blobStore.ts):
 * - A copy exists under its name only holding the bytes that hash to the digest in its name:
 *   the source is copied to a temp file, that file is hashed, given the source's mtime and made
 *   read-only, then renamed into place. A source that no longer has the digest its action was
 *   keyed with is not kept here (`linkOut` says so and the caller copies it, as before).
 * - This process trusts a copy's bytes only while its stat is the one it had when this process
 *   last hashed or linked it; otherwise it is hashed again, and a copy whose bytes changed is
 *   removed (and made again from the source).
 * - The copy belongs to xbuild and is read-only, so a sandboxed command (another uid) cannot
 *   write it; without a sandbox uid a command could, through its link: `unchanged` (after the
 *   run) then finds the stat moved, hashes it again, and removes a changed copy (the action fails).
 * - `cache gc` removes the copies no sandbox links (link count 1); a build makes them again.
 */
import { chmodSync, copyFileSync, linkSync, mkdirSync, renameSync, rmSync, statSync, utimesSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { sha256FileSync, type Sha256 } from '../../cache/digest.js';
import { sameSig, statSig, type FileSig } from '../../cache/blobStore.js';
import { SOURCE_COPIES_DIR } from '../../cache/gc.js';

/** A copy linked into a sandbox, with what to check once the action is done. */
export interface LinkedCopy {
  readonly copy: string;
  /** The link in the sandbox (the same inode), looked at when the copy itself is gone meanwhile. */
  readonly linkPath: string;
  readonly hash: Sha256;
  readonly sig: FileSig;
}

export class SourceCopies {
  /** Copies whose bytes this process knows good, by path: their stat when it last saw them so. */
  private readonly known = new Map<string, FileSig>();
  private readonly madeDirs = new Set<string>();
  private counter = 0;
  private readonly dir: string;

  /** `cacheDir`: the cache the sandboxes live in (links need the same filesystem). */
  constructor(cacheDir: string) {
    this.dir = join(cacheDir, SOURCE_COPIES_DIR);
  }

  /**
   * Hard-links a read-only copy of `src` at `dest`, making the copy if there is none. `hash`: the
   * digest the action was keyed with. Undefined when no copy with those bytes can be linked (the
   * source changed since, a link error such as EMLINK): the caller copies the source instead.
   */
  linkOut(src: string, hash: Sha256, dest: string): LinkedCopy | undefined {
    let st: Stats;
    try {
      st = statSync(src);
    } catch {
      return undefined;
    }
    const sub = join(this.dir, hash.slice(0, 2));
    const copy = join(sub, `${hash}-${st.mtime.getTime()}-${st.mode & 0o111 ? 'x' : 'r'}`);
    try {
      if (!this.trusted(copy, hash) && !this.make(src, st, hash, sub, copy)) return undefined;
      linkSync(copy, dest);
    } catch {
      return undefined;
    }
    // The link itself moved the ctime: what it is now is the stat to hold the action to.
    const sig = statSig(copy);
    if (!sig) return undefined;
    this.known.set(copy, sig);
    return { copy, linkPath: dest, hash, sig };
  }

  /**
   * Whether a linked copy still holds its bytes once the action is done: the same stat as right
   * after the link, or else the same bytes (hashed again). A changed copy is removed.
   */
  unchanged(l: LinkedCopy): boolean {
    let st = statSig(l.copy);
    let where = l.copy;
    if (!st || st.ino !== l.sig.ino) {
      // The copy went (cache gc) or was replaced: the sandbox's link is what the command saw.
      const linked = statSig(l.linkPath);
      if (linked?.ino !== l.sig.ino) return !!st;
      st = linked;
      where = l.linkPath;
    }
    if (sameSig(st, l.sig)) return true;
    if (this.hashOf(where) === l.hash) {
      if (where === l.copy) this.known.set(l.copy, st);
      return true;
    }
    if (where === l.copy) this.forget(l.copy);
    return false;
  }

  /** Whether `copy` exists with the bytes of `hash` (hashed again unless its stat is known good). */
  private trusted(copy: string, hash: Sha256): boolean {
    const st = statSig(copy);
    if (!st) return false;
    if (sameSig(st, this.known.get(copy))) return true;
    if (this.hashOf(copy) === hash) {
      this.known.set(copy, st);
      return true;
    }
    this.forget(copy);
    return false;
  }

  /** Copies `src` into place as `copy` when it still hashes to `hash`; false otherwise. */
  private make(src: string, st: Stats, hash: Sha256, sub: string, copy: string): boolean {
    if (!this.madeDirs.has(sub)) {
      mkdirSync(sub, { recursive: true });
      this.madeDirs.add(sub);
    }
    const tmp = join(sub, `tmp-${process.pid}-${randomBytes(4).toString('hex')}-${++this.counter}`);
    let placed = false;
    try {
      copyFileSync(src, tmp);
      if (this.hashOf(tmp) !== hash) return false;
      utimesSync(tmp, st.atime, st.mtime);
      chmodSync(tmp, st.mode & 0o111 ? 0o555 : 0o444);
      renameSync(tmp, copy);
      placed = true;
      return true;
    } finally {
      if (!placed) rmSync(tmp, { force: true });
    }
  }

  private hashOf(path: string): Sha256 | undefined {
    try {
      return sha256FileSync(path).hash;
    } catch {
      return undefined;
    }
  }

  private forget(copy: string): void {
    this.known.delete(copy);
    rmSync(copy, { force: true });
  }
}
