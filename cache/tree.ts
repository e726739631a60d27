/**
 * Directory outputs as Merkle trees. A `Tree` blob lists every entry below a directory output,
 * sorted by path, each file by its content digest; the directory's digest is the digest of the
 * canonical JSON of its Tree. Two directories with the same files, modes and links get the same
 * digest on every machine.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { BlobStore } from './blobStore.js';
import type { Digest } from './digest.js';

export type TreeEntry =
  | { readonly path: string; readonly kind: 'file'; readonly digest: Digest; readonly executable: boolean }
  | { readonly path: string; readonly kind: 'symlink'; readonly target: string }
  | { readonly path: string; readonly kind: 'dir' };

export interface Tree {
  readonly entries: readonly TreeEntry[];
}

/**
 * Stores every file below `dir` and then the Tree blob; returns the Tree's digest. With
 * `deferred`, blobs are stored with putFileDeferred (the caller awaits store.syncPending()).
 */
export function storeTree(store: BlobStore, dir: string, deferred = false): Digest {
  const entries: TreeEntry[] = [];
  const walk = (rel: string) => {
    const names = readdirSync(join(dir, rel)).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = join(dir, r);
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) entries.push({ path: r, kind: 'symlink', target: readlinkSync(abs) });
      else if (st.isDirectory()) {
        entries.push({ path: r, kind: 'dir' });
        walk(r);
      } else if (st.isFile()) {
        entries.push({ path: r, kind: 'file', digest: deferred ? store.putFileDeferred(abs) : store.putFileSync(abs), executable: (st.mode & 0o111) !== 0 });
      } else throw new Error(`unsupported file type in directory output: ${abs}`);
    }
  };
  walk('');
  return store.putBytes(canonicalTreeJson({ entries }));
}

export function canonicalTreeJson(tree: Tree): string {
  return JSON.stringify({ entries: [...tree.entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) });
}

export function readTree(store: BlobStore, digest: Digest): Tree | undefined {
  try {
    const bytes = readFileSync(store.pathOf(digest.hash));
    return JSON.parse(bytes.toString('utf8')) as Tree;
  } catch {
    return undefined;
  }
}

/** Every blob a tree names, including the tree blob itself. */
export function treeBlobs(tree: Tree): Digest[] {
  return tree.entries.flatMap((e) => (e.kind === 'file' ? [e.digest] : []));
}

/**
 * Recreates a tree at `dest` from the store, verifying every file. Returns false (and leaves
 * a partial directory for the caller to delete) when a blob is missing or corrupted.
 */
export function materializeTree(store: BlobStore, tree: Tree, dest: string, readOnly: boolean): boolean {
  mkdirSync(dest, { recursive: true });
  const dirs: string[] = [];
  for (const e of tree.entries) {
    const abs = join(dest, e.path);
    switch (e.kind) {
      case 'dir':
        mkdirSync(abs, { recursive: true });
        dirs.push(abs);
        break;
      case 'symlink':
        symlinkSync(e.target, abs);
        break;
      case 'file':
        if (!store.copyOutVerified(e.digest.hash, abs, fileMode(e.executable, readOnly))) return false;
        break;
      default:
        return unreachable(e);
    }
  }
  if (readOnly) for (const d of [...dirs.reverse(), dest]) chmodSync(d, 0o555);
  return true;
}

export function fileMode(executable: boolean, readOnly: boolean): number {
  return (readOnly ? 0o444 : 0o644) | (executable ? 0o111 : 0);
}

function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)} (this is an xbuild bug)`);
}
