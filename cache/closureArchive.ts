/**
 * Closure archives: the action results and blobs needed to materialise a set of actions, with
 * their signatures, in one .tar file, for machines with no network between them.
 *
 * Public surface:
 * - `exportClosure({ keys, actionCache, store, signers, outPath })` -> `ClosureExport`
 * - `importClosure({ archivePath, store, actionCache, trusted })` -> `ClosureImport`
 *
 * Archive layout (ustar through tar-stream, members in this order):
 * ```
 * xbuild-closure.json     {"format":"xbuild-closure","version":1,"actionKeys":[...]}
 * ac/<actionKey>.json     one RemoteEntry (see remote/remoteEntry.ts) per action, signed
 * cas/<sha256>            every blob the entries name, Tree blobs expanded, each once
 * ```
 * Invariants:
 * - Export streams every blob from the store into the tar and writes to `<out>.partial`, renamed
 *   into place only when complete; no blob is held whole in memory. Every blob is hashed on its
 *   way in: a blob that no longer matches its name fails the export (and is removed from the
 *   store), so a signed archive never carries bytes this process did not check.
 * - Import writes NOTHING to the store or the action cache until the whole archive has been
 *   read and checked: every blob is staged (in the store's temp dir) while its SHA-256 and size
 *   are compared with its name, every entry must carry a signature by a trusted key, and every
 *   blob an entry names must be in the archive or already in the store. Only then are the
 *   blobs committed (before the entries that name them) and the entries written.
 */
import { createReadStream, createWriteStream, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Transform } from 'node:stream';
import tar from 'tar-stream';
import type { ActionCache, ActionResult } from './actionCache.js';
import type { BlobStore } from './blobStore.js';
import { parseSha256, sha256Tap, type Digest, type Sha256 } from './digest.js';
import { blobsNamedBy, encodeRemoteEntry, makeRemoteEntry, parseRemoteEntry, parseTreeBlob, MAX_ENTRY_BYTES, type RemoteEntry } from './remote/remoteEntry.js';
import { entryFingerprint, type EntrySignature, type KeyPair, type TrustedKeys } from './signing.js';

const MANIFEST = 'xbuild-closure.json';
const FORMAT = 'xbuild-closure';
const VERSION = 1;

/** The outcome of an export. */
export type ClosureExport =
  | { readonly status: 'exported'; readonly entries: number; readonly blobs: number; readonly blobBytes: number }
  | { readonly status: 'failed'; readonly problems: readonly string[] };

/** The outcome of an import; on `rejected` nothing was written. */
export type ClosureImport =
  | {
      readonly status: 'imported';
      readonly entries: number;
      /** Blobs written into the store. */
      readonly blobsAdded: number;
      /** Blobs the store already had. */
      readonly blobsPresent: number;
      readonly bytesAdded: number;
      /** Blobs in the archive that no entry names (not written). */
      readonly unreferenced: number;
    }
  | { readonly status: 'rejected'; readonly problems: readonly string[] };

export interface ExportOptions {
  readonly keys: readonly Sha256[];
  readonly actionCache: Pick<ActionCache, 'get'>;
  readonly store: BlobStore;
  /** Keys that sign every exported entry. */
  readonly signers: readonly KeyPair[];
  /** Signatures the caller already holds for an entry (e.g. from the remote), kept alongside. */
  readonly knownSignatures?: (key: Sha256) => readonly EntrySignature[];
  readonly outPath: string;
}

export async function exportClosure(opts: ExportOptions): Promise<ClosureExport> {
  const problems: string[] = [];
  const entries: RemoteEntry[] = [];
  const blobs = new Map<Sha256, Digest>();
  for (const key of [...new Set(opts.keys)].sort()) {
    const result = opts.actionCache.get(key);
    if (!result) {
      problems.push(`action ${key}: not in the local action cache`);
      continue;
    }
    const base = makeRemoteEntry(key, result, opts.signers);
    const known = opts.knownSignatures?.(key) ?? [];
    const names = new Set(base.signatures.map((s) => s.keyName));
    entries.push({ ...base, signatures: [...base.signatures, ...known.filter((s) => !names.has(s.keyName))] });
    const missing = collectBlobs(opts.store, result, blobs);
    problems.push(...missing.map((m) => `action ${key}: ${m}`));
  }
  if (entries.length > 0 && entries.every((e) => e.signatures.length === 0)) {
    problems.push('no signing key given: an unsigned closure cannot be imported anywhere');
  }
  if (problems.length > 0) return { status: 'failed', problems };

  const partial = `${opts.outPath}.partial`;
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(partial));
  try {
    const mtime = new Date(0);
    const manifest = JSON.stringify({ format: FORMAT, version: VERSION, actionKeys: entries.map((e) => e.actionKey) });
    await addBuffer(pack, MANIFEST, Buffer.from(manifest), mtime);
    for (const e of entries) await addBuffer(pack, `ac/${e.actionKey}.json`, encodeRemoteEntry(e), mtime);
    let bytes = 0;
    for (const d of [...blobs.values()].sort((a, b) => (a.hash < b.hash ? -1 : 1))) {
      // Hashed on its way into the archive: signed entries never travel with bytes this process
      // has not checked against their names.
      const tap = sha256Tap(d.sizeBytes);
      let got: Digest | undefined;
      try {
        await addStream(pack, `cas/${d.hash}`, d.sizeBytes, createReadStream(opts.store.pathOf(d.hash)), mtime, tap.stream);
        got = tap.digest();
      } catch (e) {
        if (opts.store.verify(d.hash)) throw e;
      }
      if (got?.hash !== d.hash || got.sizeBytes !== d.sizeBytes) {
        opts.store.remove(d.hash);
        throw new Error(`local blob ${d.hash} no longer matches its name; it was removed from the store: build the target again, then export`);
      }
      bytes += d.sizeBytes;
    }
    pack.finalize();
    await written;
    renameSync(partial, opts.outPath);
    return { status: 'exported', entries: entries.length, blobs: blobs.size, blobBytes: bytes };
  } catch (e) {
    pack.destroy();
    await written.catch(() => {});
    rmSync(partial, { force: true });
    return { status: 'failed', problems: [`writing ${opts.outPath}: ${(e as Error).message}`] };
  }
}

export interface ImportOptions {
  readonly archivePath: string;
  readonly store: BlobStore;
  readonly actionCache: Pick<ActionCache, 'put'>;
  readonly trusted: TrustedKeys;
}

export async function importClosure(opts: ImportOptions): Promise<ClosureImport> {
  const staging = opts.store.tempPath();
  mkdirSync(staging, { recursive: true });
  try {
    const read = await readArchive(opts.archivePath, staging);
    const problems = [...read.problems];
    const needed = new Map<Sha256, Digest>();
    const stagedOrStored = (h: Sha256) => read.staged.has(h) || opts.store.has(h);
    const bytesOf = (h: Sha256) => readFileSync(read.staged.has(h) ? join(staging, h) : opts.store.pathOf(h));

    if (read.manifestKeys) {
      const inArchive = new Set(read.entries.map((e) => e.actionKey));
      for (const k of read.manifestKeys) if (!inArchive.has(k)) problems.push(`${MANIFEST} lists action ${k}, whose entry is missing`);
    } else problems.push(`${MANIFEST} is missing: not an xbuild closure archive`);

    for (const e of read.entries) {
      const check = opts.trusted.verify(entryFingerprint(e.actionKey, e.result), e.signatures);
      if (!check.ok) {
        problems.push(`ac/${e.actionKey}.json: ${check.reason}: ${check.detail}`);
        continue;
      }
      for (const b of blobsNamedBy(e.result)) {
        if (!stagedOrStored(b.digest.hash)) {
          problems.push(`ac/${e.actionKey}.json: ${b.what}: blob ${b.digest.hash} is not in the archive`);
          continue;
        }
        needed.set(b.digest.hash, b.digest);
        if (!b.isTree) continue;
        const tree = parseTreeBlob(bytesOf(b.digest.hash), `${b.what} (tree ${b.digest.hash})`);
        if (!tree.ok) {
          problems.push(`ac/${e.actionKey}.json: ${tree.error}`);
          continue;
        }
        for (const t of tree.value.entries) {
          if (t.kind !== 'file') continue;
          if (!stagedOrStored(t.digest.hash)) problems.push(`ac/${e.actionKey}.json: ${b.what}/${t.path}: blob ${t.digest.hash} is not in the archive`);
          else needed.set(t.digest.hash, t.digest);
        }
      }
    }
    // A blob whose size differs from what an entry says would fail later; check it now.
    for (const [h, d] of needed) {
      const staged = read.staged.get(h);
      if (staged !== undefined && staged !== d.sizeBytes) problems.push(`cas/${h}: ${staged} bytes, but an entry names ${d.sizeBytes}`);
    }
    if (problems.length > 0) return { status: 'rejected', problems };

    // Commit: blobs first, then the entries that name them.
    let added = 0;
    let present = 0;
    let bytes = 0;
    for (const [h, d] of needed) {
      if (opts.store.has(h)) {
        present++;
        continue;
      }
      await opts.store.putStream(createReadStream(join(staging, h)), d);
      added++;
      bytes += d.sizeBytes;
    }
    for (const e of read.entries) opts.actionCache.put(e.actionKey, e.result);
    const unreferenced = [...read.staged.keys()].filter((h) => !needed.has(h)).length;
    return { status: 'imported', entries: read.entries.length, blobsAdded: added, blobsPresent: present, bytesAdded: bytes, unreferenced };
  } catch (e) {
    return { status: 'rejected', problems: [`${opts.archivePath}: ${(e as Error).message}`] };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

interface ArchiveContents {
  readonly manifestKeys: readonly Sha256[] | undefined;
  readonly entries: readonly RemoteEntry[];
  /** Staged blobs (verified against their names) and their sizes. */
  readonly staged: ReadonlyMap<Sha256, number>;
  readonly problems: readonly string[];
}

/** Reads every member, staging blobs under `staging/<hash>` after checking their digests. */
async function readArchive(path: string, staging: string): Promise<ArchiveContents> {
  const problems: string[] = [];
  const entries: RemoteEntry[] = [];
  const staged = new Map<Sha256, number>();
  let manifestKeys: Sha256[] | undefined;
  const extract = tar.extract();
  const feeding = pipeline(createReadStream(path), extract);
  feeding.catch(() => {}); // the iterator below sees the same error
  for await (const member of extract) {
    const name = member.header.name;
    const size = member.header.size ?? 0;
    if (member.header.type !== 'file') {
      problems.push(`${name}: unexpected ${member.header.type} member`);
      member.resume();
      continue;
    }
    if (name === MANIFEST) {
      const bytes = await readSmall(member, 1 << 20, name);
      const m = parseManifest(bytes);
      if (typeof m === 'string') problems.push(`${name}: ${m}`);
      else manifestKeys = m;
      continue;
    }
    const ac = /^ac\/([0-9a-f]{64})\.json$/.exec(name);
    if (ac) {
      const parsed = parseRemoteEntry(await readSmall(member, MAX_ENTRY_BYTES, name));
      if (!parsed.ok) problems.push(`${name}: ${parsed.error}`);
      else if (parsed.value.actionKey !== ac[1]) problems.push(`${name}: holds the entry of action ${parsed.value.actionKey}`);
      else entries.push(parsed.value);
      continue;
    }
    const cas = /^cas\/([0-9a-f]{64})$/.exec(name);
    const hash = cas ? parseSha256(cas[1]) : undefined;
    if (!hash) {
      problems.push(`${name}: unexpected member (not ac/<sha256>.json or cas/<sha256>)`);
      member.resume();
      continue;
    }
    const tap = sha256Tap();
    await pipeline(member, tap.stream, createWriteStream(join(staging, hash), { mode: 0o444 }));
    const { hash: actual, sizeBytes: got } = tap.digest();
    if (actual !== hash || got !== size) {
      problems.push(`${name}: content hashes to ${actual} (${got} bytes): the archive is corrupted or was altered`);
      rmSync(join(staging, hash), { force: true });
    } else staged.set(hash, got);
  }
  await feeding;
  return { manifestKeys, entries, staged, problems };
}

function parseManifest(bytes: Buffer): Sha256[] | string {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return `not JSON (${(e as Error).message})`;
  }
  const m = raw as { format?: unknown; version?: unknown; actionKeys?: unknown };
  if (m?.format !== FORMAT || m.version !== VERSION) return `not an ${FORMAT} v${VERSION} manifest`;
  if (!Array.isArray(m.actionKeys)) return 'actionKeys is not an array';
  const keys: Sha256[] = [];
  for (const k of m.actionKeys) {
    const s = typeof k === 'string' ? parseSha256(k) : undefined;
    if (!s) return `actionKeys holds ${JSON.stringify(k)}, not a sha256`;
    keys.push(s);
  }
  return keys;
}

async function readSmall(member: AsyncIterable<unknown>, max: number, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of member) {
    size += (c as Buffer).length;
    if (size > max) throw new Error(`${name}: over ${max} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Adds every blob `result` names (Tree blobs expanded) to `into`; returns what is missing. */
function collectBlobs(store: BlobStore, result: ActionResult, into: Map<Sha256, Digest>): string[] {
  const missing: string[] = [];
  for (const b of blobsNamedBy(result)) {
    if (!store.has(b.digest.hash)) {
      missing.push(`${b.what}: blob ${b.digest.hash} is not in the local store`);
      continue;
    }
    into.set(b.digest.hash, b.digest);
    if (!b.isTree) continue;
    const tree = parseTreeBlob(readFileSync(store.pathOf(b.digest.hash)), b.what);
    if (!tree.ok) {
      missing.push(tree.error);
      continue;
    }
    for (const e of tree.value.entries) {
      if (e.kind !== 'file') continue;
      if (!store.has(e.digest.hash)) missing.push(`${b.what}/${e.path}: blob ${e.digest.hash} is not in the local store`);
      else into.set(e.digest.hash, e.digest);
    }
  }
  return missing;
}

function addBuffer(pack: tar.Pack, name: string, bytes: Buffer, mtime: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({ name, size: bytes.length, mode: 0o444, mtime }, bytes, (err) => (err ? reject(err) : resolve()));
  });
}

function addStream(pack: tar.Pack, name: string, size: number, src: Readable, mtime: Date, through: Transform): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = pack.entry({ name, size, mode: 0o444, mtime }, (err) => (err ? reject(err) : resolve()));
    pipeline(src, through, sink).catch(reject);
  });
}
