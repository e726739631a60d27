/**
 * ed25519 keys, key texts, the canonical fingerprint and signature checks.
 */
import { describe, expect, test } from 'vitest';
import { createPublicKey, verify } from 'node:crypto';
import type { ActionResult } from '../../cache/actionCache.js';
import type { Sha256 } from '../../cache/digest.js';
import { KeyPair, TrustedKeys, entryFingerprint, generateKey, parsePublicKey, signEntry } from '../../cache/signing.js';
import { parseRemoteEntry } from '../../cache/remote/remoteEntry.js';

const KEY = 'a'.repeat(64) as Sha256;
const H1 = '1'.repeat(64) as Sha256;
const H2 = '2'.repeat(64) as Sha256;
const H3 = '3'.repeat(64) as Sha256;
const result: ActionResult = {
  outputs: [
    { path: 'lib/z.so', kind: 'file', digest: { hash: H2, sizeBytes: 20 }, executable: true },
    { path: 'include', kind: 'dir', digest: { hash: H1, sizeBytes: 10 }, executable: false },
  ],
  exitCode: 0,
  durationMs: 5,
  logDigest: { hash: H3, sizeBytes: 3 },
};

function pair(name: string): KeyPair {
  const p = KeyPair.parse(generateKey(name).secretText);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

describe('keys', () => {
  test('generated texts have the Nix shape and parse back to the same key', () => {
    const { secretText, publicText } = generateKey('buildserver-1');
    expect(secretText).toMatch(/^buildserver-1:[A-Za-z0-9+/]{86}==$/); // 64 bytes
    expect(publicText).toMatch(/^buildserver-1:[A-Za-z0-9+/]{43}=$/); // 32 bytes
    const k = KeyPair.parse(secretText);
    expect(k.ok && k.value.publicText).toBe(publicText);
    expect(k.ok && k.value.secretText).toBe(secretText);
    const pub = parsePublicKey(publicText);
    expect(pub.ok && pub.value.name).toBe('buildserver-1');
  });

  test('a signature is a plain ed25519 signature that node:crypto verifies from the raw public key', () => {
    const k = pair('k1');
    const fp = entryFingerprint(KEY, result);
    const s = k.sign(fp);
    const raw = Buffer.from(k.publicText.split(':')[1], 'base64');
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    expect(verify(null, fp, pub, Buffer.from(s.sig, 'base64'))).toBe(true);
  });

  test('bad key texts are reported, not thrown', () => {
    expect(parsePublicKey('nocolon')).toMatchObject({ ok: false, error: expect.stringContaining('NAME:BASE64') });
    expect(parsePublicKey('k:AAAA')).toMatchObject({ ok: false, error: expect.stringContaining('expected 32') });
    expect(parsePublicKey('bad name:AAAA')).toMatchObject({ ok: false, error: expect.stringContaining('invalid name') });
    expect(KeyPair.parse('k:!!!')).toMatchObject({ ok: false });
    const { secretText } = generateKey('k');
    const bytes = Buffer.from(secretText.split(':')[1], 'base64');
    bytes[40] ^= 1; // damage the public half
    expect(KeyPair.parse(`k:${bytes.toString('base64')}`)).toMatchObject({ ok: false, error: expect.stringContaining('does not match') });
    expect(TrustedKeys.parse([generateKey('ok').publicText, 'x'])).toMatchObject({ ok: false, error: expect.stringContaining('#2') });
    expect(() => generateKey('has space')).toThrow(/invalid key name/);
  });
});

describe('fingerprint', () => {
  test('canonical text: sorted outputs, JSON paths, log line', () => {
    expect(entryFingerprint(KEY, result).toString()).toBe(
      [
        'xbuild-ac-v1',
        KEY,
        `out "include" dir ${H1} 10 -`,
        `out "lib/z.so" file ${H2} 20 x`,
        `log ${H3} 3`,
      ].join('\n'),
    );
  });

  test('does not depend on output order or duration; does on every signed field', () => {
    const base = entryFingerprint(KEY, result);
    expect(entryFingerprint(KEY, { ...result, outputs: [...result.outputs].reverse(), durationMs: 99 })).toEqual(base);
    const o = result.outputs[0];
    const variants: ActionResult[] = [
      { ...result, outputs: [{ ...o, path: 'lib/y.so' }, result.outputs[1]] },
      { ...result, outputs: [{ ...o, executable: false }, result.outputs[1]] },
      { ...result, outputs: [{ ...o, kind: 'dir' }, result.outputs[1]] },
      { ...result, outputs: [{ ...o, digest: { hash: H3, sizeBytes: 20 } }, result.outputs[1]] },
      { ...result, outputs: [{ ...o, digest: { hash: H2, sizeBytes: 21 } }, result.outputs[1]] },
      { ...result, logDigest: undefined },
    ];
    for (const v of variants) expect(entryFingerprint(KEY, v).equals(base)).toBe(false);
    expect(entryFingerprint('b'.repeat(64) as Sha256, result).equals(base)).toBe(false);
  });
});

describe('trusted keys', () => {
  const a = pair('a');
  const b = pair('b');
  const fp = entryFingerprint(KEY, result);

  test('several signatures: accepted when any trusted one verifies', () => {
    const sigs = signEntry(KEY, result, [b, a]);
    expect(new TrustedKeys([a.publicKey]).verify(fp, sigs)).toEqual({ ok: true, keyName: 'a' });
    expect(new TrustedKeys([b.publicKey]).verify(fp, sigs)).toEqual({ ok: true, keyName: 'b' });
  });

  test('unsigned, untrusted, and a trusted name with a bad signature are all rejected', () => {
    const trusted = new TrustedKeys([a.publicKey]);
    expect(trusted.verify(fp, [])).toMatchObject({ ok: false, reason: 'unsigned' });
    expect(trusted.verify(fp, [b.sign(fp)])).toMatchObject({ ok: false, reason: 'untrusted' });
    // b signs but claims to be a: the name alone is not trust.
    const forged = { keyName: 'a', sig: b.sign(fp).sig };
    expect(trusted.verify(fp, [forged])).toMatchObject({ ok: false, reason: 'untrusted', detail: expect.stringContaining('does not verify') });
    expect(trusted.verify(fp, [{ keyName: 'a', sig: 'not base64!' }])).toMatchObject({ ok: false, reason: 'untrusted' });
    expect(new TrustedKeys([]).verify(fp, [a.sign(fp)])).toMatchObject({ ok: false, reason: 'untrusted' });
  });
});

describe('remote entry parsing', () => {
  test('rejects paths that climb out, absolute paths and bad digests', () => {
    const entry = (outputs: unknown) => Buffer.from(JSON.stringify({ version: 1, actionKey: KEY, result: { outputs, exitCode: 0, durationMs: 1 }, signatures: [] }));
    const d = { hash: H1, sizeBytes: 1 };
    expect(parseRemoteEntry(entry([{ path: 'ok/x', kind: 'file', digest: d, executable: false }])).ok).toBe(true);
    expect(parseRemoteEntry(entry([{ path: '../x', kind: 'file', digest: d, executable: false }]))).toMatchObject({ ok: false, error: expect.stringContaining('..') });
    expect(parseRemoteEntry(entry([{ path: '/etc/x', kind: 'file', digest: d, executable: false }]))).toMatchObject({ ok: false, error: expect.stringContaining('absolute') });
    expect(parseRemoteEntry(entry([{ path: 'x', kind: 'file', digest: { hash: 'ABC', sizeBytes: 1 }, executable: false }])).ok).toBe(false);
    expect(parseRemoteEntry(entry([{ path: 'x', kind: 'file', digest: { hash: H1, sizeBytes: -1 }, executable: false }])).ok).toBe(false);
    expect(parseRemoteEntry(Buffer.from('[]'))).toMatchObject({ ok: false });
  });
});
