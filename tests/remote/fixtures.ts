/**
 * Test fixtures for the remote cache: temp stores, synthetic action results (files of chosen
 * sizes and a directory output), and helpers to compare stores.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { randomBytes, createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActionResult, OutputEntry } from '../../cache/actionCache.js';
import { BlobStore } from '../../cache/blobStore.js';
import type { Digest, Sha256 } from '../../cache/digest.js';
import type { RemoteEntry } from '../../cache/remote/remoteEntry.js';
import { readTree, storeTree } from '../../cache/tree.js';

const made: string[] = [];

/** A fresh temp dir, removed by `cleanupTemp`. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `xbuild-${tag}-`));
  made.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function newStore(tag: string): BlobStore {
  return new BlobStore(join(tempDir(tag), 'store'));
}

/** A random action key. */
export function randomKey(): Sha256 {
  return createHash('sha256').update(randomBytes(32)).digest('hex') as Sha256;
}

/**
 * Makes an action result in `store`: one file output per size in `fileSizes` (random bytes) and,
 * when `withDir`, a directory output with two files, a subdir and a symlink.
 */
export function makeResult(store: BlobStore, fileSizes: readonly number[], withDir = true): ActionResult {
  const work = tempDir('outputs');
  const outputs: OutputEntry[] = [];
  fileSizes.forEach((size, i) => {
    const p = join(work, `out${i}.bin`);
    writeFileSync(p, randomBytes(size));
    outputs.push({ path: `bin/out${i}.bin`, kind: 'file', digest: store.putFileSync(p), executable: i % 2 === 1 });
  });
  if (withDir) {
    const dir = join(work, 'tree');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'a.txt'), randomBytes(1000));
    writeFileSync(join(dir, 'sub', 'b.sh'), `#!/bin/sh\necho ${randomBytes(8).toString('hex')}\n`);
    chmodSync(join(dir, 'sub', 'b.sh'), 0o755);
    outputs.push({ path: 'share/tree', kind: 'dir', digest: storeTree(store, dir), executable: false });
  }
  const log = store.putBytes(`log of an action ${randomBytes(4).toString('hex')}\n`);
  return { outputs, exitCode: 0, durationMs: 1234, logDigest: log };
}

/** Every blob a result names, trees expanded. */
export function allBlobs(store: BlobStore, r: ActionResult): Digest[] {
  const out: Digest[] = [];
  for (const o of r.outputs) {
    out.push(o.digest);
    if (o.kind === 'dir') {
      const t = readTree(store, o.digest);
      if (!t) throw new Error(`tree ${o.digest.hash} not in store`);
      for (const e of t.entries) if (e.kind === 'file') out.push(e.digest);
    }
  }
  if (r.logDigest) out.push(r.logDigest);
  return out;
}

/** Asserts-by-throwing that every blob of `r` has the same bytes in both stores. */
export function sameBlobs(a: BlobStore, b: BlobStore, r: ActionResult): boolean {
  return allBlobs(a, r).every((d) => b.has(d.hash) && readFileSync(a.pathOf(d.hash)).equals(readFileSync(b.pathOf(d.hash))));
}

/** Number of blobs in a store. */
export function blobCount(store: BlobStore): number {
  return [...store.entries()].length;
}

/** Files left in the store's temp dir (should be none after a failed download). */
export function tempLeftovers(store: BlobStore): string[] {
  try {
    return readdirSync(join(store.root, 'tmp'));
  } catch {
    return [];
  }
}

/** `entry` with its first output changed by `edit`, signatures kept: what a tampering server or archive serves. */
export function editFirstOutput(entry: RemoteEntry, edit: Partial<OutputEntry>): RemoteEntry {
  const [first, ...rest] = entry.result.outputs;
  return { ...entry, result: { ...entry.result, outputs: [{ ...first, ...edit }, ...rest] } };
}
