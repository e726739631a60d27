/**
 * The remote cache client against a real Debian nginx (WebDAV PUT) started by the test on a free
 * loopback port: round trips, HEAD skipping, trust, tampering, eviction and server failures.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HttpRemoteCache } from '../../cache/remote/httpRemoteCache.js';
import { RemoteCache, type RemoteCacheEvent } from '../../cache/remote/remoteCache.js';
import { encodeRemoteEntry, makeRemoteEntry } from '../../cache/remote/remoteEntry.js';
import { KeyPair, TrustedKeys, generateKey } from '../../cache/signing.js';
import type { BlobStore } from '../../cache/blobStore.js';
import { startNginx, type NginxServer } from '../helpers/nginx.js';
import { allBlobs, blobCount, cleanupTemp, makeResult, newStore, randomKey, sameBlobs, tempDir, tempLeftovers } from './fixtures.js';

const MiB = 1 << 20;

function keyPair(name: string): KeyPair {
  const p = KeyPair.parse(generateKey(name).secretText);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

const server1 = keyPair('buildserver-1');
const stranger = keyPair('stranger');
const trusted = new TrustedKeys([server1.publicKey]);

let nginx: NginxServer;
const caches: RemoteCache[] = [];

function remote(store: BlobStore, events: RemoteCacheEvent[] = [], extra: Partial<ConstructorParameters<typeof RemoteCache>[0]> = {}): RemoteCache {
  const c = new RemoteCache({ url: nginx.baseUrl, store, onEvent: (e) => events.push(e), retryBaseDelayMs: 20, ...extra });
  caches.push(c);
  return c;
}

beforeAll(async () => {
  nginx = await startNginx({ prefix: 'xsc' });
});

afterAll(async () => {
  for (const c of caches) c.close();
  await nginx.dispose();
  cleanupTemp();
});

afterEach(async () => {
  // Heal whatever a test broke, so tests stay independent.
  nginx.failWith(undefined);
  nginx.throttle(false);
  nginx.resume();
  await nginx.start();
});

describe('round trip', () => {
  test('upload from one store, lookup into an empty one: same bytes, one hit', async () => {
    const a = newStore('a');
    const result = makeResult(a, [10, 300_000, 5 * MiB]);
    const key = randomKey();
    const up = await remote(a).upload(key, result, server1);
    expect(up.status).toBe('uploaded');
    const blobs = allBlobs(a, result);
    if (up.status === 'uploaded') expect(up.blobsUploaded).toBe(new Set(blobs.map((b) => b.hash)).size);
    for (const b of blobs) expect(nginx.has('cas', b.hash)).toBe(true);
    expect(nginx.has('ac', key)).toBe(true);

    const b = newStore('b');
    const rb = remote(b);
    const got = await rb.lookup(key, trusted);
    expect(got.status).toBe('hit');
    if (got.status !== 'hit') return;
    expect(got.signedBy).toBe('buildserver-1');
    expect(got.result).toEqual(result);
    expect(sameBlobs(a, b, result)).toBe(true);
    expect(got.bytesDownloaded).toBe(blobs.reduce((s, d) => s + d.sizeBytes, 0));
    expect(rb.stats().hits).toBe(1);

    // A second lookup into the same store downloads nothing.
    const again = await rb.lookup(key, trusted);
    expect(again.status === 'hit' && again.blobsDownloaded).toBe(0);
  });

  test('HEAD skips blobs the server already has', async () => {
    const a = newStore('a');
    const result = makeResult(a, [1000, 2 * MiB]);
    const key = randomKey();
    const first = await remote(a).upload(key, result, server1);
    expect(first.status).toBe('uploaded');
    await new Promise((r) => setTimeout(r, 100)); // nginx logs just after answering
    const putsBefore = nginx.accessLog().filter((l) => l.startsWith('PUT /xsc/cas/')).length;
    const second = await remote(a).upload(key, result, server1);
    expect(second).toMatchObject({ status: 'uploaded', blobsUploaded: 0 });
    if (second.status === 'uploaded') expect(second.blobsSkipped).toBe(allBlobs(a, result).length);
    await new Promise((r) => setTimeout(r, 100));
    const putsAfter = nginx.accessLog().filter((l) => l.startsWith('PUT /xsc/cas/')).length;
    expect(putsAfter).toBe(putsBefore);
  });

  test('a key the server does not have is absent', async () => {
    const r = await remote(newStore('b')).lookup(randomKey(), trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'absent' });
  });

  test('a second signer is added to the entry, the first signature kept', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    await remote(a).upload(key, result, stranger);
    const entry = JSON.parse(readFileSync(nginx.pathOf('ac', key), 'utf8'));
    expect(entry.signatures.map((s: { keyName: string }) => s.keyName).sort()).toEqual(['buildserver-1', 'stranger']);
    expect((await remote(newStore('b')).lookup(key, trusted)).status).toBe('hit');
    expect((await remote(newStore('b')).lookup(key, new TrustedKeys([stranger.publicKey]))).status).toBe('hit');
  });
});

describe('streaming', () => {
  test('a 128 MiB blob goes up and down without being held in memory', async () => {
    const a = newStore('a');
    const file = join(tempDir('big'), 'big.bin');
    const fd = openSync(file, 'w');
    for (let i = 0; i < 128; i++) writeSync(fd, randomBytes(MiB));
    closeSync(fd);
    const big = a.putFileSync(file);
    const key = randomKey();
    const result = { outputs: [{ path: 'big.iso', kind: 'file' as const, digest: big, executable: false }], exitCode: 0 as const, durationMs: 1 };
    const peakGrowth = async (run: () => Promise<unknown>) => {
      const base = process.memoryUsage().arrayBuffers;
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().arrayBuffers - base)), 2);
      await run();
      clearInterval(timer);
      return peak;
    };
    expect(await peakGrowth(() => remote(a).upload(key, result, server1))).toBeLessThan(64 * MiB);
    const b = newStore('b');
    let got: Awaited<ReturnType<RemoteCache['lookup']>> | undefined;
    expect(await peakGrowth(async () => (got = await remote(b).lookup(key, trusted)))).toBeLessThan(64 * MiB);
    expect(got?.status).toBe('hit');
    expect(b.verify(big.hash)).toBe(true);
  }, 60_000);
});

describe('queueing', () => {
  test('time spent waiting for a pooled socket does not count against the timeouts', async () => {
    const a = newStore('a');
    const result = makeResult(a, [8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    // One socket, four transfers at once: three wait their turn, far longer than 30 ms.
    const rc = remote(newStore('b'), [], { maxSockets: 1, parallelTransfers: 4, connectTimeoutMs: 30, idleTimeoutMs: 5000 });
    const t0 = Date.now();
    const r = await rc.lookup(key, trusted);
    expect(r.status, JSON.stringify(r)).toBe('hit');
    expect(Date.now() - t0).toBeGreaterThan(30);
    expect(rc.stats().failures).toBe(0);
  });
});

describe('trust', () => {
  test('an entry signed by an untrusted key is not used, and nothing is downloaded', async () => {
    const a = newStore('a');
    const result = makeResult(a, [1000]);
    const key = randomKey();
    await remote(a).upload(key, result, stranger);
    const b = newStore('b');
    const events: RemoteCacheEvent[] = [];
    const r = await remote(b, events).lookup(key, trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'untrusted' });
    expect(r.status === 'miss' && r.detail).toContain('stranger');
    expect(blobCount(b)).toBe(0);
    expect(events).toEqual([expect.objectContaining({ type: 'entry-rejected', reason: 'untrusted' })]);
  });

  test('an unsigned entry is not used', async () => {
    const a = newStore('a');
    const result = makeResult(a, [10], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    const http = new HttpRemoteCache(nginx.baseUrl);
    await http.putBytes('ac', key, encodeRemoteEntry({ ...makeRemoteEntry(key, result, []), signatures: [] }));
    http.close();
    expect(await remote(newStore('b')).lookup(key, trusted)).toMatchObject({ status: 'miss', reason: 'unsigned' });
  });

  test('an entry edited on the server (other output digest) fails its trusted signature', async () => {
    const a = newStore('a');
    const result = makeResult(a, [10, 20], false);
    const other = makeResult(a, [30], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    await remote(a).upload(randomKey(), other, server1); // the substituted blob is on the server
    const entry = JSON.parse(readFileSync(nginx.pathOf('ac', key), 'utf8'));
    entry.result.outputs[0].digest = other.outputs[0].digest;
    const http = new HttpRemoteCache(nginx.baseUrl);
    await http.putBytes('ac', key, Buffer.from(JSON.stringify(entry)));
    http.close();
    const r = await remote(newStore('b')).lookup(key, trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'untrusted' });
    expect(r.status === 'miss' && r.detail).toContain('does not verify');
  });

  test('garbage under an AC key is malformed, not an exception', async () => {
    const key = randomKey();
    const http = new HttpRemoteCache(nginx.baseUrl);
    await http.putBytes('ac', key, Buffer.from('{"version":1,"actionKey":"nope"'));
    http.close();
    expect(await remote(newStore('b')).lookup(key, trusted)).toMatchObject({ status: 'miss', reason: 'malformed' });
  });
});

describe('blobs that went wrong on the server', () => {
  test('a tampered blob is detected and never lands in the store', async () => {
    const a = newStore('a');
    const result = makeResult(a, [4096, 3 * MiB], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    const victim = result.outputs[1].digest;
    nginx.tamper('cas', victim.hash);
    const b = newStore('b');
    const events: RemoteCacheEvent[] = [];
    const r = await remote(b, events).lookup(key, trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'blob-corrupt' });
    expect(b.has(victim.hash)).toBe(false);
    expect(tempLeftovers(b)).toEqual([]);
    expect(events.map((e) => e.type)).toEqual(['entry-rejected']);
  });

  test('a blob of the wrong size on the server is corrupt', async () => {
    const a = newStore('a');
    const result = makeResult(a, [4096], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    const http = new HttpRemoteCache(nginx.baseUrl);
    await http.putBytes('cas', result.outputs[0].digest.hash, Buffer.from('short'));
    http.close();
    expect(await remote(newStore('b')).lookup(key, trusted)).toMatchObject({ status: 'miss', reason: 'blob-corrupt' });
  });

  test('an evicted blob is blob-missing; uploading again recovers it', async () => {
    const a = newStore('a');
    const result = makeResult(a, [1000, 50_000]);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    const treeFile = allBlobs(a, result).find((d, i) => i > 2 && d.sizeBytes === 1000) ?? result.outputs[1].digest;
    nginx.evict('cas', treeFile.hash);
    const r = await remote(newStore('b')).lookup(key, trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'blob-missing' });
    expect(r.status === 'miss' && r.detail).toContain(treeFile.hash);

    const again = await remote(a).upload(key, result, server1);
    expect(again).toMatchObject({ status: 'uploaded', blobsUploaded: 1 });
    expect((await remote(newStore('b')).lookup(key, trusted)).status).toBe('hit');
  });
});

describe('a rotten local blob', () => {
  test('is not uploaded: the PUT is cut before its last byte, the blob is dropped locally', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100, 2 * MiB], false);
    const victim = result.outputs[1].digest;
    const fd = openSync(a.pathOf(victim.hash), 'r+');
    writeSync(fd, Buffer.from('rot'), 0, 3, MiB);
    closeSync(fd);
    const up = await remote(a).upload(randomKey(), result, server1);
    expect(up).toMatchObject({ status: 'failed', reason: 'local-blob-corrupt' });
    expect(up.status === 'failed' && up.detail).toContain(victim.hash);
    await new Promise((r) => setTimeout(r, 100));
    expect(nginx.has('cas', victim.hash)).toBe(false);
    expect(a.has(victim.hash)).toBe(false);
  });
});

describe('a rotten local blob the server already has', () => {
  test('is re-hashed anyway: no entry is signed over it, the blob is dropped locally', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100, 300_000], false);
    expect((await remote(a).upload(randomKey(), result, server1)).status).toBe('uploaded');
    // Same outputs under another action key: every blob is on the server (HEAD says so).
    const victim = result.outputs[1].digest;
    const fd = openSync(a.pathOf(victim.hash), 'r+');
    writeSync(fd, Buffer.from('rot'), 0, 3, 1000);
    closeSync(fd);
    const key = randomKey();
    const up = await remote(a).upload(key, result, server1);
    expect(up).toMatchObject({ status: 'failed', reason: 'local-blob-corrupt' });
    expect(up.status === 'failed' && up.detail).toContain(victim.hash);
    expect(nginx.has('ac', key)).toBe(false);
    expect(a.has(victim.hash)).toBe(false);
  });
});

describe('a local store that cannot take blobs', () => {
  test('is a local-error, not blamed on the server', async () => {
    const a = newStore('a');
    const result = makeResult(a, [5000], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    const b = newStore('b');
    rmSync(join(b.root, 'tmp'), { recursive: true });
    writeFileSync(join(b.root, 'tmp'), 'not a directory');
    const rc = remote(b);
    const r = await rc.lookup(key, trusted);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'miss', reason: 'local-error' });
    expect(rc.stats()).toMatchObject({ failures: 0, disabled: false });
  });
});

describe('a failing server degrades to a miss, fast, with one warning', () => {
  test('server stopped: typed remote-error within bounded time, one warning, then disabled', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    await nginx.stop();
    const events: RemoteCacheEvent[] = [];
    const rc = remote(newStore('b'), events);
    const t0 = Date.now();
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await rc.lookup(key, trusted));
    const elapsed = Date.now() - t0;
    expect(results.every((r) => r.status === 'miss' && r.reason === 'remote-error')).toBe(true);
    expect(results[0].status === 'miss' && results[0].detail).toContain('connection refused');
    expect(elapsed).toBeLessThan(3000);
    expect(events.filter((e) => e.type === 'remote-degraded')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'remote-disabled')).toHaveLength(1);
    expect(rc.stats()).toMatchObject({ disabled: true, failures: 3 });
    expect(rc.stats().misses['remote-error']).toBe(10);
    const up = await rc.upload(key, result, server1);
    expect(up).toMatchObject({ status: 'failed', reason: 'remote-error' });
  });

  test('503 from the server: retried, then remote-error', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    nginx.failWith(503);
    const rc = remote(newStore('b'));
    const r = await rc.lookup(key, trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'remote-error' });
    expect(r.status === 'miss' && r.detail).toContain('HTTP 503');
    // nginx logs a request just after answering it: give the last line a moment to land.
    const gets = () => nginx.accessLog().filter((l) => l.includes(`/ac/${key} 503`)).length;
    for (let i = 0; i < 50 && gets() < 3; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    expect(gets()).toBe(3); // one try + two retries
  });

  test('507 (server full) on upload: a failed upload, no exception, not retried', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100], false);
    nginx.failWith(507);
    const up = await remote(a).upload(randomKey(), result, server1);
    expect(up).toMatchObject({ status: 'failed', reason: 'remote-error' });
    expect(up.status === 'failed' && up.detail).toContain('507');
  });

  test('hung server (SIGSTOP): timeout within the idle budget, remote disabled at once', async () => {
    const a = newStore('a');
    const result = makeResult(a, [100], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    nginx.pause();
    const events: RemoteCacheEvent[] = [];
    const rc = remote(newStore('b'), events, { idleTimeoutMs: 400, connectTimeoutMs: 400 });
    const t0 = Date.now();
    const r = await rc.lookup(key, trusted);
    const elapsed = Date.now() - t0;
    expect(r).toMatchObject({ status: 'miss', reason: 'remote-error' });
    expect(r.status === 'miss' && r.detail).toContain('no response for 400 ms');
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(2000);
    expect(rc.stats().disabled).toBe(true);
    const t1 = Date.now();
    expect((await rc.lookup(key, trusted)).status).toBe('miss');
    expect(Date.now() - t1).toBeLessThan(50);
    nginx.resume();
  });

  test('server killed mid-body: remote-error, nothing half-written in the store', async () => {
    const a = newStore('a');
    const result = makeResult(a, [2 * MiB], false);
    const key = randomKey();
    await remote(a).upload(key, result, server1);
    nginx.throttle(true); // 64 KiB/s: the 2 MiB body takes ~30 s
    const b = newStore('b');
    const rc = remote(b, [], { retries: 0 });
    const pending = rc.lookup(key, trusted);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await nginx.stop();
    const r = await pending;
    expect(Date.now() - t0).toBeLessThan(6000);
    expect(r).toMatchObject({ status: 'miss', reason: 'remote-error' });
    expect(r.status === 'miss' && r.detail).toMatch(/reset|aborted|ECONNRESET|socket hang up/);
    expect(b.has(result.outputs[0].digest.hash)).toBe(false);
    expect(tempLeftovers(b)).toEqual([]);
  });
});

describe('a server that wants credentials', () => {
  test('user:password in the URL is sent as basic auth and kept out of messages', async () => {
    const locked = await startNginx({ prefix: 'team', basicAuth: { user: 'ci', password: 's3cret' } });
    try {
      const a = newStore('a');
      const result = makeResult(a, [1000], true);
      const key = randomKey();
      const authUrl = new URL(locked.baseUrl); // the loopback nginx, with credentials in the URL
      authUrl.username = 'ci';
      authUrl.password = 's3cret';
      const withAuth = authUrl.toString();
      const up = new RemoteCache({ url: withAuth, store: a });
      expect((await up.upload(key, result, server1)).status).toBe('uploaded');
      const down = new RemoteCache({ url: withAuth, store: newStore('b') });
      expect((await down.lookup(key, trusted)).status).toBe('hit');
      const anonymous = new RemoteCache({ url: locked.baseUrl, store: newStore('b') });
      const r = await anonymous.lookup(key, trusted);
      expect(r).toMatchObject({ status: 'miss', reason: 'remote-error' });
      expect(r.status === 'miss' && r.detail).toContain('HTTP 401');
      const wrong = new RemoteCache({ url: withAuth.replace('s3cret', 'guess'), store: newStore('b') });
      const w = await wrong.lookup(key, trusted);
      expect(w.status === 'miss' && w.detail).not.toContain('guess');
      for (const c of [up, down, anonymous, wrong]) c.close();
    } finally {
      await locked.dispose();
    }
  });
});
