/**
 * Closure export/import with real stores, real SQLite action caches and real tar files; the
 * archive is listed with GNU tar to check it is an ordinary tar.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import tar from 'tar-stream';
import { ActionCache } from '../../cache/actionCache.js';
import { openDatabase } from '../../cache/database.js';
import type { BlobStore } from '../../cache/blobStore.js';
import type { Sha256 } from '../../cache/digest.js';
import { exportClosure, importClosure } from '../../cache/closureArchive.js';
import { KeyPair, TrustedKeys, generateKey } from '../../cache/signing.js';
import { allBlobs, blobCount, cleanupTemp, makeResult, newStore, randomKey, sameBlobs, tempDir } from './fixtures.js';

function keyPair(name: string): KeyPair {
  const p = KeyPair.parse(generateKey(name).secretText);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}
const signer = keyPair('buildserver-1');
const stranger = keyPair('stranger');
const trusted = new TrustedKeys([signer.publicKey]);

interface Workspace {
  readonly store: BlobStore;
  readonly ac: ActionCache;
}

function workspace(tag: string): Workspace {
  const store = newStore(tag);
  return { store, ac: new ActionCache(openDatabase(join(store.root, '..', 'cache.db'))) };
}

/** Workspace A with two cached actions (one with a 3 MiB file and a directory output). */
function populated(): { a: Workspace; keys: Sha256[] } {
  const a = workspace('a');
  const keys = [randomKey(), randomKey()];
  a.ac.put(keys[0], makeResult(a.store, [100, 3 << 20], true));
  a.ac.put(keys[1], makeResult(a.store, [5000], false));
  return { a, keys };
}

async function exported(a: Workspace, keys: Sha256[], signers = [signer]): Promise<string> {
  const out = join(tempDir('archive'), 'closure.tar');
  const r = await exportClosure({ keys, actionCache: a.ac, store: a.store, signers, outPath: out });
  expect(r.status).toBe('exported');
  return out;
}

/** Copies a tar, letting `edit` replace (Buffer) or drop (null) each member. */
async function rewriteTar(src: string, dst: string, edit: (name: string, bytes: Buffer) => Buffer | null): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const packed = new Promise<void>((r) => pack.on('end', () => r()));
  extract.end(readFileSync(src));
  for await (const m of extract) {
    const parts: Buffer[] = [];
    for await (const c of m) parts.push(c as Buffer);
    const out = edit(m.header.name, Buffer.concat(parts));
    if (out) pack.entry({ name: m.header.name, size: out.length }, out);
  }
  pack.finalize();
  await packed;
  writeFileSync(dst, Buffer.concat(chunks));
}

afterAll(() => cleanupTemp());

describe('closure export of a rotten blob', () => {
  test('fails, writes no archive, and drops the blob: a signed archive never carries unchecked bytes', async () => {
    const { a, keys } = populated();
    const victim = a.ac.get(keys[1])!.outputs[0].digest;
    const bytes = readFileSync(a.store.pathOf(victim.hash));
    bytes[10] ^= 0xff;
    chmodSync(a.store.pathOf(victim.hash), 0o644);
    writeFileSync(a.store.pathOf(victim.hash), bytes);
    const out = join(tempDir('archive'), 'closure.tar');
    const r = await exportClosure({ keys, actionCache: a.ac, store: a.store, signers: [signer], outPath: out });
    expect(r.status).toBe('failed');
    expect(r.status === 'failed' && r.problems.join('\n')).toContain(`local blob ${victim.hash} no longer matches its name`);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.partial`)).toBe(false);
    expect(a.store.has(victim.hash)).toBe(false);
  });
});

describe('closure export then import', () => {
  test('into an empty store and cache: every entry and blob, identical bytes', async () => {
    const { a, keys } = populated();
    const out = await exported(a, keys);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const listing = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing[0]).toBe('xbuild-closure.json');
    expect(listing.filter((n) => n.startsWith('ac/'))).toHaveLength(2);
    const blobs = new Set(keys.flatMap((k) => allBlobs(a.store, a.ac.get(k)!).map((d) => d.hash)));
    expect(listing.filter((n) => n.startsWith('cas/'))).toHaveLength(blobs.size);

    const c = workspace('c');
    const r = await importClosure({ archivePath: out, store: c.store, actionCache: c.ac, trusted });
    expect(r).toMatchObject({ status: 'imported', entries: 2, blobsAdded: blobs.size, blobsPresent: 0, unreferenced: 0 });
    for (const k of keys) {
      expect(c.ac.get(k)).toEqual(a.ac.get(k));
      expect(sameBlobs(a.store, c.store, a.ac.get(k)!)).toBe(true);
    }
    // Importing again adds nothing new.
    const again = await importClosure({ archivePath: out, store: c.store, actionCache: c.ac, trusted });
    expect(again).toMatchObject({ status: 'imported', blobsAdded: 0, blobsPresent: blobs.size });
  });

  test('a tampered blob inside the archive: rejected, nothing written', async () => {
    const { a, keys } = populated();
    const out = await exported(a, keys);
    const big = a.ac.get(keys[0])!.outputs[1].digest;
    const bytes = readFileSync(out);
    const at = bytes.indexOf(readFileSync(a.store.pathOf(big.hash)).subarray(0, 64));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1000] ^= 0x01;
    writeFileSync(out, bytes);

    const c = workspace('c');
    const r = await importClosure({ archivePath: out, store: c.store, actionCache: c.ac, trusted });
    expect(r.status).toBe('rejected');
    expect(r.status === 'rejected' && r.problems.join('\n')).toContain(`cas/${big.hash}`);
    expect(blobCount(c.store)).toBe(0);
    for (const k of keys) expect(c.ac.get(k)).toBeUndefined();
  });

  test('an entry edited inside the archive (signature no longer verifies): rejected, nothing written', async () => {
    const { a, keys } = populated();
    const out = await exported(a, keys);
    const edited = join(tempDir('archive'), 'edited.tar');
    await rewriteTar(out, edited, (name, b) => {
      if (name !== `ac/${keys[1]}.json`) return b;
      const e = JSON.parse(b.toString());
      e.result.outputs[0].executable = !e.result.outputs[0].executable;
      return Buffer.from(JSON.stringify(e));
    });
    const c = workspace('c');
    const r = await importClosure({ archivePath: edited, store: c.store, actionCache: c.ac, trusted });
    expect(r.status).toBe('rejected');
    expect(r.status === 'rejected' && r.problems.join('\n')).toMatch(/untrusted.*does not verify/);
    expect(blobCount(c.store)).toBe(0);
    expect(c.ac.get(keys[0])).toBeUndefined();
  });

  test('signed by an untrusted key: rejected, nothing written', async () => {
    const { a, keys } = populated();
    const out = await exported(a, keys, [stranger]);
    const c = workspace('c');
    const r = await importClosure({ archivePath: out, store: c.store, actionCache: c.ac, trusted });
    expect(r).toMatchObject({ status: 'rejected' });
    expect(r.status === 'rejected' && r.problems).toHaveLength(2);
    expect(blobCount(c.store)).toBe(0);
  });

  test('a blob dropped from the archive: rejected unless the store already has it', async () => {
    const { a, keys } = populated();
    const out = await exported(a, keys);
    const dropped = a.ac.get(keys[1])!.outputs[0].digest.hash;
    const cut = join(tempDir('archive'), 'cut.tar');
    await rewriteTar(out, cut, (name, b) => (name === `cas/${dropped}` ? null : b));
    const c = workspace('c');
    const r = await importClosure({ archivePath: cut, store: c.store, actionCache: c.ac, trusted });
    expect(r.status).toBe('rejected');
    expect(r.status === 'rejected' && r.problems.join('\n')).toContain(`${dropped} is not in the archive`);
    expect(blobCount(c.store)).toBe(0);

    c.store.putFileSync(a.store.pathOf(dropped));
    const r2 = await importClosure({ archivePath: cut, store: c.store, actionCache: c.ac, trusted });
    expect(r2).toMatchObject({ status: 'imported', entries: 2, blobsPresent: 1 });
  });

  test('a truncated archive: rejected, nothing written', async () => {
    const { a, keys } = populated();
    const out = await exported(a, keys);
    const bytes = readFileSync(out);
    writeFileSync(out, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const c = workspace('c');
    const r = await importClosure({ archivePath: out, store: c.store, actionCache: c.ac, trusted });
    expect(r.status).toBe('rejected');
    expect(blobCount(c.store)).toBe(0);
    expect(c.ac.get(keys[0])).toBeUndefined();
  });

  test('export refuses keys missing from the action cache, and unsigned closures', async () => {
    const { a, keys } = populated();
    const out = join(tempDir('archive'), 'x.tar');
    const missing = randomKey();
    const r = await exportClosure({ keys: [...keys, missing], actionCache: a.ac, store: a.store, signers: [signer], outPath: out });
    expect(r.status === 'failed' && r.problems.join('\n')).toContain(`action ${missing}: not in the local action cache`);
    const u = await exportClosure({ keys, actionCache: a.ac, store: a.store, signers: [], outPath: out });
    expect(u.status === 'failed' && u.problems.join('\n')).toContain('no signing key');
    expect(existsSync(out)).toBe(false);
  });
});
