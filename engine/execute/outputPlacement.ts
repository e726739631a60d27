/**
 * Putting outputs in xbuild-out/: a cached one copied out of the blob store (verified), a fresh
 * file moved in from its sandbox. Every replacement is atomic (a temporary name, then rename)
 * and leaves read-only files; a file already holding the right bytes is left alone.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { OutputEntry } from '../../cache/actionCache.js';
import type { BlobStore } from '../../cache/blobStore.js';
import type { Sha256 } from '../../cache/digest.js';
import { fileMode, materializeTree, readTree } from '../../cache/tree.js';
import { KnownDirs } from '../../cache/knownDirs.js';
import type { FileDigests } from '../key/fileDigests.js';
import { removeTree } from './removeTree.js';

export class OutputPlacement {
  /** Directories of xbuild-out known to exist. */
  private readonly outDirs = new KnownDirs();

  /** `sandboxOwner`: the uid that makes files in sandboxes, when it is not xbuild's own. */
  constructor(private readonly root: string, private readonly blobs: BlobStore, private readonly digests: FileDigests, readonly sandboxOwner?: number) {}

  /** Makes a stored output present at its path; false if its blob is missing or corrupt. */
  materialize(o: OutputEntry): boolean {
    const dest = join(this.root, o.path);
    if (o.kind === 'file') {
      if (this.digests.known(dest) === o.digest.hash && modeMatches(dest, o.executable)) return true;
      const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
      mkdirSync(dirname(dest), { recursive: true });
      if (!this.blobs.copyOutVerified(o.digest.hash, tmp, fileMode(o.executable, true))) return false;
      replacePath(tmp, dest);
      this.digests.remember(dest, o.digest.hash);
      return true;
    }
    if (existsSync(dest) && this.dirMatches(dest, o.digest.hash)) return true;
    const tree = readTree(this.blobs, o.digest);
    if (!tree || !this.blobs.verify(o.digest.hash)) {
      this.blobs.remove(o.digest.hash);
      return false;
    }
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    mkdirSync(dirname(dest), { recursive: true });
    if (!materializeTree(this.blobs, tree, tmp, true)) {
      removeTree(tmp);
      return false;
    }
    replacePath(tmp, dest);
    return true;
  }

  /** Moves a fresh file output from the sandbox (`src`, whose bytes are the blob's) to its path. */
  placeFresh(o: OutputEntry, src: string): void {
    const dest = join(this.root, o.path);
    // Made by the sandbox uid: xbuild-out holds xbuild's files only.
    if (this.sandboxOwner !== undefined) chownSync(src, process.getuid!(), process.getgid!());
    chmodSync(src, fileMode(o.executable, true));
    try {
      this.outDirs.moveInto(dirname(dest), () => replacePath(src, dest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      if (!this.materialize(o)) throw new Error(`could not materialise ${o.path} (this is an xbuild bug)`);
      return;
    }
    this.digests.remember(dest, o.digest.hash);
  }

  private dirMatches(dest: string, hash: Sha256): boolean {
    try {
      this.digests.forget(dest);
      return this.digests.digest(dest) === hash;
    } catch {
      return false;
    }
  }
}

function modeMatches(path: string, executable: boolean): boolean {
  try {
    return ((statSync(path).mode & 0o111) !== 0) === executable;
  } catch {
    return false;
  }
}

/** Atomically puts `tmp` at `dest`, replacing what was there (a file or a directory). */
function replacePath(tmp: string, dest: string): void {
  let st;
  try {
    st = lstatSync(dest);
  } catch { /* absent */ }
  if (st?.isDirectory()) {
    const old = `${dest}.old-${randomBytes(4).toString('hex')}`;
    renameSync(dest, old);
    renameSync(tmp, dest);
    removeTree(old);
  } else {
    renameSync(tmp, dest);
  }
}
