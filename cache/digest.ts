/**
 * Content digests. Every digest that names content (blobs, inputs, action keys) is SHA-256:
 * digests cross machines through the remote cache, so they must be collision-resistant.
 * Invariant: a `Sha256` is always 64 lowercase hex characters; only `parseSha256` and the
 * hashing functions here make one.
 */
import { createHash } from 'node:crypto';
import { openSync, readSync, closeSync } from 'node:fs';
import { Transform } from 'node:stream';

export type Sha256 = string & { readonly __brand: 'Sha256' };

/** A content digest in the shape of Bazel's remote-apis `Digest{hash, size_bytes}`. */
export interface Digest {
  readonly hash: Sha256;
  readonly sizeBytes: number;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

export function parseSha256(s: string): Sha256 | undefined {
  return SHA256_RE.test(s) ? (s as Sha256) : undefined;
}

export function sha256Bytes(b: Uint8Array | string): Digest {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return { hash: createHash('sha256').update(buf).digest('hex') as Sha256, sizeBytes: buf.byteLength };
}

export function sha256Hex(b: Uint8Array | string): Sha256 {
  return createHash('sha256').update(b).digest('hex') as Sha256;
}

// Reading into one reused buffer is ~60x faster than readFileSync for large files (PERF.md).
const chunk = Buffer.allocUnsafe(1 << 20);

/** SHA-256 of a file's bytes, read synchronously through a reused 1 MiB buffer. */
export function sha256FileSync(path: string): Digest {
  const fd = openSync(path, 'r');
  try {
    return sha256Fd(fd);
  } finally {
    closeSync(fd);
  }
}

/** SHA-256 of the bytes behind an open descriptor, read from its current offset to the end. */
export function sha256Fd(fd: number): Digest {
  const h = createHash('sha256');
  let size = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    h.update(chunk.subarray(0, n));
    size += n;
  }
  return { hash: h.digest('hex') as Sha256, sizeBytes: size };
}

export async function sha256File(path: string): Promise<Digest> {
  return sha256FileSync(path);
}

export function digestEquals(a: Digest, b: Digest): boolean {
  return a.hash === b.hash && a.sizeBytes === b.sizeBytes;
}

/**
 * A pass-through stream that hashes what flows through it; `digest()` once the stream ended.
 * Used wherever bytes arrive from outside (downloads, archives) and must be checked. With
 * `maxBytes`, a byte beyond it fails the stream at once (a body longer than the digest it is
 * supposed to have is not read on).
 */
export function sha256Tap(maxBytes?: number): { readonly stream: Transform; digest(): Digest } {
  const h = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (maxBytes !== undefined && size > maxBytes) {
        cb(new TooLongError(`more than the ${maxBytes} bytes expected`));
        return;
      }
      h.update(chunk);
      cb(null, chunk);
    },
  });
  return { stream, digest: () => ({ hash: h.digest('hex') as Sha256, sizeBytes: size }) };
}

/** A stream carried more bytes than its digest says. */
export class TooLongError extends Error {}
