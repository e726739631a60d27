/**
 * Signing of action-cache entries with ed25519 (node:crypto), in the style of Nix binary caches.
 *
 * Public surface:
 * - `generateKey(name)` -> `{ secretText, publicText }`: the secret file text `name:base64(seed‖public)`
 *   (64 bytes, the libsodium/Nix layout) and the public key text `name:base64(public)` (32 bytes).
 * - `KeyPair` (a named signing key): `KeyPair.parse(secretText)`, `.sign(fingerprint)`, `.publicText`.
 * - `parsePublicKey(text)`, `TrustedKeys` (the keys a client accepts): `TrustedKeys.parse(texts)`,
 *   `.verify(fingerprint, signatures)`.
 * - `entryFingerprint(actionKey, result)`: the canonical bytes that are signed (below).
 *
 * Canonical fingerprint (version 1). UTF-8 text, lines separated by "\n", no trailing newline:
 * ```
 * xbuild-ac-v1
 * <actionKey: 64 lowercase hex>
 * out <JSON-string path> <file|dir> <sha256> <sizeBytes decimal> <x|->     one line per output,
 * log <sha256> <sizeBytes>                                                 sorted by path (UTF-16 order)
 * ```
 * The `log` line is present only when the result has a `logDigest`. Paths are JSON string literals
 * so no path can forge a separator. `exitCode` is always 0 and `durationMs` is not signed (it is
 * informational and differs between runs). For a `dir` output the digest names a Tree blob whose
 * bytes are verified against that digest, so the files inside are covered transitively.
 *
 * A signature is `{ keyName, sig }` with `sig` the base64 ed25519 signature of the fingerprint.
 * An entry may carry several signatures (one per key that vouches for it).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import type { ActionResult } from './actionCache.js';
import type { Sha256 } from './digest.js';

/** One signature over an entry fingerprint, made by the key called `keyName`. */
export interface EntrySignature {
  readonly keyName: string;
  /** base64 of the 64-byte ed25519 signature. */
  readonly sig: string;
}

/** A parse result: either the value or a message saying what is wrong with the text. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const KEY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** Whether `name` may name a key: letters, digits and `._+-`, starting with a letter or digit. */
export function isValidKeyName(name: string): boolean {
  return KEY_NAME_RE.test(name);
}

/** Makes a fresh key pair; the secret text belongs in a file outside any workspace. */
export function generateKey(name: string): { readonly secretText: string; readonly publicText: string } {
  if (!isValidKeyName(name)) throw new Error(`invalid key name ${JSON.stringify(name)}: use letters, digits and ._+-`);
  const { privateKey } = generateKeyPairSync('ed25519');
  const pair = KeyPair.fromPrivateKey(name, privateKey);
  return { secretText: pair.secretText, publicText: pair.publicText };
}

/**
 * A named ed25519 signing key. Made by `KeyPair.parse` (from the secret file text) or
 * `generateKey`. Holds the private key: never serialise it anywhere but the secret file.
 */
export class KeyPair {
  private constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
    private readonly publicRaw: Buffer,
  ) {}

  static fromPrivateKey(name: string, privateKey: KeyObject): KeyPair {
    const jwk = privateKey.export({ format: 'jwk' });
    if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an ed25519 private key (this is an xbuild bug)');
    return new KeyPair(name, privateKey, Buffer.from(jwk.x, 'base64url'));
  }

  /** Parses `name:base64(seed‖public)` (64 bytes) or `name:base64(seed)` (32 bytes). */
  static parse(secretText: string): Parsed<KeyPair> {
    const split = splitNamed(secretText.trim(), 'secret key');
    if (!split.ok) return split;
    const { name, bytes } = split.value;
    if (bytes.length !== 64 && bytes.length !== 32) {
      return { ok: false, error: `secret key ${name}: expected 64 (or 32) base64 bytes, got ${bytes.length}` };
    }
    const seed = bytes.subarray(0, 32);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({ key: pkcs8FromSeed(seed), format: 'der', type: 'pkcs8' });
    } catch (e) {
      return { ok: false, error: `secret key ${name}: not a valid ed25519 key (${(e as Error).message})` };
    }
    const pair = KeyPair.fromPrivateKey(name, privateKey);
    if (bytes.length === 64 && !pair.publicRaw.equals(bytes.subarray(32))) {
      return { ok: false, error: `secret key ${name}: its public half does not match its seed (damaged key file?)` };
    }
    return { ok: true, value: pair };
  }

  /** `name:base64(seed‖public)`: the content of the secret key file. */
  get secretText(): string {
    const jwk = this.privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d as string, 'base64url');
    return `${this.name}:${Buffer.concat([seed, this.publicRaw]).toString('base64')}`;
  }

  /** `name:base64(public)`: what a client passes to `--trusted-key`. */
  get publicText(): string {
    return `${this.name}:${this.publicRaw.toString('base64')}`;
  }

  /** The matching public key. */
  get publicKey(): PublicKey {
    return { name: this.name, key: createPublicKey(this.privateKey), raw: this.publicRaw };
  }

  sign(fingerprint: Uint8Array): EntrySignature {
    return { keyName: this.name, sig: edSign(null, fingerprint, this.privateKey).toString('base64') };
  }
}

/** A named ed25519 public key. Made only by `parsePublicKey` or `KeyPair.publicKey`. */
export interface PublicKey {
  readonly name: string;
  readonly key: KeyObject;
  /** The 32 raw public key bytes. */
  readonly raw: Buffer;
}

/** Parses `name:base64(public)` (32 bytes). */
export function parsePublicKey(text: string): Parsed<PublicKey> {
  const split = splitNamed(text.trim(), 'public key');
  if (!split.ok) return split;
  const { name, bytes } = split.value;
  if (bytes.length !== 32) return { ok: false, error: `public key ${name}: expected 32 base64 bytes, got ${bytes.length}` };
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: bytes.toString('base64url') }, format: 'jwk' });
    return { ok: true, value: { name, key, raw: Buffer.from(bytes) } };
  } catch (e) {
    return { ok: false, error: `public key ${name}: not a valid ed25519 key (${(e as Error).message})` };
  }
}

/** Why a set of signatures was not accepted. */
export type SignatureRejection =
  /** The entry carries no signature at all. */
  | { readonly reason: 'unsigned'; readonly detail: string }
  /** No signature by a trusted key verifies (signed by unknown keys, or a trusted key's signature is bad). */
  | { readonly reason: 'untrusted'; readonly detail: string };

/** The outcome of checking an entry's signatures. */
export type SignatureCheck = { readonly ok: true; readonly keyName: string } | ({ readonly ok: false } & SignatureRejection);

/**
 * The public keys a client accepts signatures from, by name. An empty list trusts nothing.
 * Made by `TrustedKeys.parse` (from `--trusted-key` texts) or from `PublicKey`s.
 */
export class TrustedKeys {
  private readonly byName: ReadonlyMap<string, PublicKey>;

  constructor(keys: readonly PublicKey[]) {
    const m = new Map<string, PublicKey>();
    for (const k of keys) m.set(k.name, k);
    this.byName = m;
  }

  /** Parses every text; the first bad one is reported by its position and name. */
  static parse(texts: readonly string[]): Parsed<TrustedKeys> {
    const keys: PublicKey[] = [];
    for (const [i, t] of texts.entries()) {
      const p = parsePublicKey(t);
      if (!p.ok) return { ok: false, error: `trusted key #${i + 1}: ${p.error}` };
      keys.push(p.value);
    }
    return { ok: true, value: new TrustedKeys(keys) };
  }

  /** A new list with `keys` added (a key replaces a trusted key of the same name). */
  with(keys: readonly PublicKey[]): TrustedKeys {
    return new TrustedKeys([...this.byName.values(), ...keys]);
  }

  get names(): readonly string[] {
    return [...this.byName.keys()];
  }

  get size(): number {
    return this.byName.size;
  }

  /** Accepts when at least one signature by a trusted key verifies over `fingerprint`. */
  verify(fingerprint: Uint8Array, signatures: readonly EntrySignature[]): SignatureCheck {
    if (signatures.length === 0) return { ok: false, reason: 'unsigned', detail: 'the entry carries no signature' };
    const problems: string[] = [];
    for (const s of signatures) {
      const key = this.byName.get(s.keyName);
      if (!key) {
        problems.push(`signed by ${s.keyName}, which is not trusted`);
        continue;
      }
      let good = false;
      try {
        good = edVerify(null, fingerprint, key.key, Buffer.from(s.sig, 'base64'));
      } catch {
        good = false;
      }
      if (good) return { ok: true, keyName: s.keyName };
      problems.push(`signature by trusted key ${s.keyName} does not verify (entry altered or signed over other outputs)`);
    }
    return { ok: false, reason: 'untrusted', detail: problems.join('; ') };
  }
}

/** The canonical bytes signed for an action-cache entry (format in the file comment). */
export function entryFingerprint(actionKey: Sha256, result: ActionResult): Buffer {
  const outs = [...result.outputs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const lines = ['xbuild-ac-v1', actionKey];
  for (const o of outs) {
    lines.push(`out ${JSON.stringify(o.path)} ${o.kind} ${o.digest.hash} ${o.digest.sizeBytes} ${o.executable ? 'x' : '-'}`);
  }
  if (result.logDigest) lines.push(`log ${result.logDigest.hash} ${result.logDigest.sizeBytes}`);
  return Buffer.from(lines.join('\n'), 'utf8');
}

/** Signs `result` for `actionKey` with every key in `signers`. */
export function signEntry(actionKey: Sha256, result: ActionResult, signers: readonly KeyPair[]): EntrySignature[] {
  const fp = entryFingerprint(actionKey, result);
  return signers.map((k) => k.sign(fp));
}

function splitNamed(text: string, what: string): Parsed<{ name: string; bytes: Buffer }> {
  const colon = text.indexOf(':');
  if (colon <= 0) return { ok: false, error: `${what} must look like NAME:BASE64, got ${JSON.stringify(preview(text))}` };
  const name = text.slice(0, colon);
  const b64 = text.slice(colon + 1);
  if (!isValidKeyName(name)) return { ok: false, error: `${what} has an invalid name ${JSON.stringify(name)}` };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) return { ok: false, error: `${what} ${name}: the part after ':' is not base64` };
  return { ok: true, value: { name, bytes: Buffer.from(b64, 'base64') } };
}

function preview(s: string): string {
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}

// PKCS#8 DER prefix for an ed25519 private key (RFC 8410): the 32-byte seed follows.
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function pkcs8FromSeed(seed: Buffer): Buffer {
  return Buffer.concat([PKCS8_ED25519_PREFIX, seed]);
}
