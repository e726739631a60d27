/**
 * The executor-facing adapter: upload policy, notes for `explain`, configuration errors.
 * Against a real nginx.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RemoteCacheHook } from '../../engine/execute/executor.js';
import { makeRemoteCacheLevel, type RemoteCacheLevel } from '../../cache/remote/remoteCacheLevel.js';
import { KeyPair, TrustedKeys, generateKey } from '../../cache/signing.js';
import { startNginx, type NginxServer } from '../helpers/nginx.js';
import { cleanupTemp, makeResult, newStore, randomKey } from './fixtures.js';

function keyPair(name: string): KeyPair {
  const p = KeyPair.parse(generateKey(name).secretText);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}
const server1 = keyPair('buildserver-1');
const none = new TrustedKeys([]);

let nginx: NginxServer;
const levels: RemoteCacheLevel[] = [];
beforeAll(async () => {
  nginx = await startNginx();
});
afterAll(async () => {
  for (const l of levels) l.close();
  await nginx.dispose();
  cleanupTemp();
});

function level(o: Omit<Parameters<typeof makeRemoteCacheLevel>[0], 'url'>): RemoteCacheLevel {
  const made = makeRemoteCacheLevel({ url: nginx.baseUrl, retryBaseDelayMs: 10, ...o });
  if (!made.ok) throw new Error(made.error);
  levels.push(made.value);
  return made.value;
}

describe('RemoteCacheLevel', () => {
  test('build server signs and uploads, trusts its own key; a laptop with the public key hits', async () => {
    const a = newStore('a');
    const server: RemoteCacheHook = level({ store: a, trusted: none, signers: [server1] });
    const result = makeResult(a, [100, 70_000]);
    const key = randomKey();
    expect((await server.lookup(key, undefined as never)).note).toMatch(/^remote: absent/);
    await server.upload(key, result, undefined as never);
    expect((await server.lookup(key, undefined as never)).result).toEqual(result);

    const laptop = level({ store: newStore('b'), trusted: new TrustedKeys([server1.publicKey]), signers: [] });
    expect(laptop.uploadsEnabled).toBe(false);
    const hit = await laptop.lookup(key);
    expect(hit.result).toEqual(result);
    expect(hit.note).toContain('signed by buildserver-1');
    expect(laptop.stats()).toMatchObject({ hits: 1, uploadsEnabled: false });
  });

  test('a laptop never uploads, even when asked to look up and "upload" a result', async () => {
    const a = newStore('a');
    const laptop = level({ store: a, trusted: new TrustedKeys([server1.publicKey]), signers: [] });
    const key = randomKey();
    await laptop.upload(key, makeResult(a, [10], false));
    expect(nginx.has('ac', key)).toBe(false);
  });

  test('an untrusted entry gives a note naming the signer', async () => {
    const a = newStore('a');
    const other = keyPair('laptop-7');
    const key = randomKey();
    await level({ store: a, trusted: none, signers: [other] }).upload(key, makeResult(a, [10], false));
    const r = await level({ store: newStore('b'), trusted: new TrustedKeys([server1.publicKey]), signers: [] }).lookup(key);
    expect(r.result).toBeUndefined();
    expect(r.note).toBe('remote: untrusted: signed by laptop-7, which is not trusted');
  });

  test('configuration errors are reported as text', () => {
    const store = newStore('c');
    expect(makeRemoteCacheLevel({ url: 'ftp://x', store, trusted: none, signers: [] })).toMatchObject({ ok: false, error: expect.stringContaining('http://') });
    expect(makeRemoteCacheLevel({ url: nginx.baseUrl, store, trusted: none, signers: [], upload: true })).toMatchObject({ ok: false, error: expect.stringContaining('--sign-with') });
    expect(makeRemoteCacheLevel({ url: nginx.baseUrl, store, trusted: none, signers: [] })).toMatchObject({ ok: false, error: expect.stringContaining('--trusted-key') });
  });
});
