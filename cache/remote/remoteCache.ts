/**
 * The remote (shared) cache as the engine uses it: look an action key up, verify its entry's
 * signatures, download every blob it names into the local BlobStore; or upload a local result.
 *
 * Public surface:
 * - `new RemoteCache({ url, store, onEvent, ...HttpRemoteCacheOptions })`
 * - `lookup(actionKey, trusted): Promise<RemoteLookup>`: a `hit` only when a trusted key signed the
 *   entry AND every blob it names (Tree blobs expanded) is in the local store with matching
 *   SHA-256 and size; otherwise a `miss` with a typed reason for `xbuild explain`. On a hit the
 *   caller writes the result into its ActionCache (the blobs are already in the store).
 * - `upload(actionKey, result, signers): Promise<RemoteUpload>`: blobs first (HEAD skips what the
 *   server has), the signed entry last; signatures already on the server for the same outputs are kept.
 * - `stats()`: counters for the end-of-build summary; `close()`.
 *
 * Failure policy: nothing here throws for a remote problem. The first remote failure of this
 * RemoteCache (one per build) emits one `remote-degraded` event; after `maxFailures` failures,
 * or at the first timeout, the remote is disabled for the rest of the build and every further
 * call answers `remote-error` at once, and every request still in flight is ended, so a dead or
 * hung server costs one timeout, not one per queued request. The `signal` option (the build
 * was interrupted) ends every request at once too.
 */
import { readFileSync } from 'node:fs';
import type { ActionResult } from '../actionCache.js';
import type { BlobStore } from '../blobStore.js';
import type { Digest, Sha256 } from '../digest.js';
import { entryFingerprint, type KeyPair, type TrustedKeys } from '../signing.js';
import { HttpRemoteCache, type HttpRemoteCacheOptions, type RemoteError } from './httpRemoteCache.js';
import {
  MAX_ENTRY_BYTES, blobsNamedBy, encodeRemoteEntry, makeRemoteEntry, mergeSignatures, parseRemoteEntry, parseTreeBlob,
  type RemoteEntry,
} from './remoteEntry.js';

/** Why a remote entry was not used. */
export type RemoteMissReason =
  /** The server has no entry for the key. */
  | 'absent'
  /** Signed, but by no trusted key (or a trusted key's signature does not verify). */
  | 'untrusted'
  /** The entry carries no signature. */
  | 'unsigned'
  /** The entry (or a Tree blob it names) is not valid JSON of the expected shape. */
  | 'malformed'
  /** The server lacks a blob the entry names (evicted). */
  | 'blob-missing'
  /** A blob's bytes do not match the digest the entry names. */
  | 'blob-corrupt'
  /** The server failed (down, 5xx, 507, reset, timeout) or the remote is disabled for this build. */
  | 'remote-error'
  /** The local store could not take a downloaded blob (disk full, permissions). */
  | 'local-error';

/** The answer to `lookup`. On a hit every blob of `result` is in the local BlobStore. */
export type RemoteLookup =
  | {
      readonly status: 'hit';
      readonly result: ActionResult;
      /** The trusted key whose signature was accepted. */
      readonly signedBy: string;
      readonly blobsDownloaded: number;
      readonly bytesDownloaded: number;
    }
  | { readonly status: 'miss'; readonly reason: RemoteMissReason; readonly detail: string };

/** The answer to `upload`. */
export type RemoteUpload =
  | { readonly status: 'uploaded'; readonly blobsUploaded: number; readonly blobsSkipped: number; readonly bytesUploaded: number }
  | {
      readonly status: 'failed';
      /** `local-blob-corrupt`: a local blob no longer matches its name; it was removed from the store and not uploaded. */
      readonly reason: 'remote-error' | 'blob-missing-locally' | 'local-blob-corrupt' | 'no-signer';
      readonly detail: string;
    };

/** What a RemoteCache tells its owner; the engine turns these into build events. */
export type RemoteCacheEvent =
  /** Emitted once per RemoteCache, at the first remote failure. */
  | { readonly type: 'remote-degraded'; readonly url: string; readonly detail: string }
  /** Emitted once, when the remote is switched off for the rest of the build. */
  | { readonly type: 'remote-disabled'; readonly url: string; readonly failures: number }
  /** An entry existed but was not used (untrusted, unsigned, malformed, blob-missing, blob-corrupt). */
  | { readonly type: 'entry-rejected'; readonly actionKey: Sha256; readonly reason: RemoteMissReason; readonly detail: string };

/** Counters for the end-of-build summary. */
export interface RemoteCacheStats {
  readonly hits: number;
  readonly misses: Readonly<Record<RemoteMissReason, number>>;
  readonly blobsDownloaded: number;
  readonly bytesDownloaded: number;
  readonly uploads: number;
  readonly blobsUploaded: number;
  readonly blobsSkipped: number;
  readonly bytesUploaded: number;
  readonly failures: number;
  readonly disabled: boolean;
}

export interface RemoteCacheOptions extends HttpRemoteCacheOptions {
  /** Base URL, e.g. `http://cache.local:8080/xsc`. */
  readonly url: string;
  readonly store: BlobStore;
  readonly onEvent?: (e: RemoteCacheEvent) => void;
  /** Remote failures tolerated before the remote is disabled for the build. Default 3. */
  readonly maxFailures?: number;
  /** Blobs transferred at once. Default 4. */
  readonly parallelTransfers?: number;
  /** Largest Tree blob read into memory. Default 64 MiB. */
  readonly maxTreeBytes?: number;
}


type BlobNeed = { readonly digest: Digest; readonly what: string };

export class RemoteCache {
  readonly url: string;
  private readonly http: HttpRemoteCache;
  private readonly store: BlobStore;
  private readonly onEvent: (e: RemoteCacheEvent) => void;
  private readonly maxFailures: number;
  private readonly parallel: number;
  private readonly maxTreeBytes: number;
  private failures = 0;
  private disabled = false;
  private counts = {
    hits: 0, blobsDownloaded: 0, bytesDownloaded: 0, uploads: 0, blobsUploaded: 0, blobsSkipped: 0, bytesUploaded: 0,
  };
  private readonly misses: Record<RemoteMissReason, number> = {
    absent: 0, untrusted: 0, unsigned: 0, malformed: 0, 'blob-missing': 0, 'blob-corrupt': 0, 'remote-error': 0, 'local-error': 0,
  };

  constructor(opts: RemoteCacheOptions) {
    this.http = new HttpRemoteCache(opts.url, opts);
    this.url = this.http.baseUrl.toString();
    this.store = opts.store;
    this.onEvent = opts.onEvent ?? (() => {});
    this.maxFailures = opts.maxFailures ?? 3;
    this.parallel = Math.max(1, opts.parallelTransfers ?? 4);
    this.maxTreeBytes = opts.maxTreeBytes ?? 64 << 20;
  }

  async lookup(actionKey: Sha256, trusted: TrustedKeys): Promise<RemoteLookup> {
    const r = await this.lookupOnce(actionKey, trusted);
    if (r.status === 'hit') this.counts.hits++;
    else {
      this.misses[r.reason]++;
      if (r.reason !== 'absent' && r.reason !== 'remote-error' && r.reason !== 'local-error') this.onEvent({ type: 'entry-rejected', actionKey, reason: r.reason, detail: r.detail });
    }
    return r;
  }

  /**
   * Uploads a result, signed. Every blob it names is hashed by this process on the way (a PUT
   * streams through a verifying tap; a blob the server already has is re-hashed locally), and
   * the entry is signed only after all of them matched their names: a signature never vouches
   * for bytes this process did not check.
   */
  async upload(actionKey: Sha256, result: ActionResult, signers: KeyPair | readonly KeyPair[]): Promise<RemoteUpload> {
    const keys = Array.isArray(signers) ? (signers as readonly KeyPair[]) : [signers as KeyPair];
    if (keys.length === 0) return { status: 'failed', reason: 'no-signer', detail: 'uploads must be signed: give a signing key' };
    if (this.disabled) return { status: 'failed', reason: 'remote-error', detail: this.disabledDetail() };

    const needs = this.localBlobs(result);
    if (!needs.ok) return { status: 'failed', reason: 'blob-missing-locally', detail: needs.error };

    let uploaded = 0;
    let skipped = 0;
    let bytes = 0;
    const failure = await forEachLimited(needs.value, this.parallel, async (n): Promise<RemoteError | { corrupt: string } | undefined> => {
      const head = await this.http.head('cas', n.digest.hash);
      if (head.status === 'remote-error') return head;
      if (head.status === 'present' && (head.sizeBytes === undefined || head.sizeBytes === n.digest.sizeBytes)) {
        if (!(await this.store.verifyStreaming(n.digest))) {
          this.store.remove(n.digest.hash);
          return { corrupt: `${n.what}: local blob ${n.digest.hash} no longer matches its name: not signed` };
        }
        skipped++;
        return undefined;
      }
      const put = await this.http.putFile(n.digest.hash, this.store.pathOf(n.digest.hash), n.digest.sizeBytes);
      if (put.status === 'local-corrupt') {
        // The blob rotted on this disk: drop it, so the next local lookup reruns the action.
        this.store.remove(n.digest.hash);
        return { corrupt: `${n.what}: ${put.detail}` };
      }
      if (put.status === 'remote-error') return put;
      uploaded++;
      bytes += put.bytes;
      return undefined;
    });
    if (failure && 'corrupt' in failure) return { status: 'failed', reason: 'local-blob-corrupt', detail: failure.corrupt };
    if (failure) return this.uploadFailed(failure);

    // The entry goes last, so a reader never sees an entry whose blobs are not there yet.
    let entry: RemoteEntry = makeRemoteEntry(actionKey, result, keys);
    const existing = await this.http.getBytes('ac', actionKey, MAX_ENTRY_BYTES);
    if (existing.status === 'remote-error') return this.uploadFailed(existing);
    if (existing.status === 'ok') {
      const parsed = parseRemoteEntry(existing.bytes);
      if (parsed.ok && parsed.value.actionKey === actionKey &&
          entryFingerprint(actionKey, parsed.value.result).equals(entryFingerprint(actionKey, result))) {
        entry = { ...entry, signatures: mergeSignatures(parsed.value.signatures, entry.signatures) };
      }
    }
    const encoded = encodeRemoteEntry(entry);
    const put = await this.http.putBytes('ac', actionKey, encoded);
    if (put.status === 'remote-error') return this.uploadFailed(put);
    this.counts.uploads++;
    this.counts.blobsUploaded += uploaded;
    this.counts.blobsSkipped += skipped;
    this.counts.bytesUploaded += bytes + encoded.byteLength;
    return { status: 'uploaded', blobsUploaded: uploaded, blobsSkipped: skipped, bytesUploaded: bytes + encoded.byteLength };
  }

  stats(): RemoteCacheStats {
    return { ...this.counts, misses: { ...this.misses }, failures: this.failures, disabled: this.disabled };
  }

  close(): void {
    this.http.close();
  }

  private async lookupOnce(actionKey: Sha256, trusted: TrustedKeys): Promise<RemoteLookup> {
    if (this.disabled) return miss('remote-error', this.disabledDetail());
    const got = await this.http.getBytes('ac', actionKey, MAX_ENTRY_BYTES);
    switch (got.status) {
      case 'absent':
        return miss('absent', `no entry for ${actionKey} on ${this.url}`);
      case 'too-large':
        return miss('malformed', got.detail);
      case 'remote-error':
        return this.remoteFailed(got);
      case 'ok':
        break;
      default:
        return unreachable(got);
    }
    const parsed = parseRemoteEntry(got.bytes);
    if (!parsed.ok) return miss('malformed', `entry ${actionKey}: ${parsed.error}`);
    const entry = parsed.value;
    if (entry.actionKey !== actionKey) return miss('malformed', `entry stored under ${actionKey} is for action ${entry.actionKey}`);
    const check = trusted.verify(entryFingerprint(actionKey, entry.result), entry.signatures);
    if (!check.ok) return miss(check.reason, check.detail);

    let blobs = 0;
    let bytes = 0;
    const fetchOne = async (n: BlobNeed): Promise<RemoteLookup | undefined> => {
      if (this.store.has(n.digest.hash)) return undefined;
      const d = await this.http.downloadToStore(n.digest, this.store);
      switch (d.status) {
        case 'stored':
          blobs++;
          bytes += d.bytes;
          this.counts.blobsDownloaded++;
          this.counts.bytesDownloaded += d.bytes;
          return undefined;
        case 'absent':
          return miss('blob-missing', `${n.what}: blob ${n.digest.hash} is not on the server (evicted?)`);
        case 'corrupt':
          return miss('blob-corrupt', `${n.what}: ${d.detail}`);
        case 'local-error':
          return miss('local-error', `${n.what}: ${d.detail}`);
        case 'remote-error':
          return this.remoteFailed(d);
        default:
          return unreachable(d);
      }
    };

    // Tree blobs first: their entries name more blobs.
    const direct = blobsNamedBy(entry.result);
    const files: BlobNeed[] = direct.filter((b) => !b.isTree);
    for (const t of direct.filter((b) => b.isTree)) {
      if (t.digest.sizeBytes > this.maxTreeBytes) return miss('malformed', `${t.what}: tree blob of ${t.digest.sizeBytes} bytes is over the limit`);
      const failed = await fetchOne(t);
      if (failed) return failed;
      const tree = parseTreeBlob(readFileSync(this.store.pathOf(t.digest.hash)), t.what);
      if (!tree.ok) return miss('malformed', tree.error);
      for (const e of tree.value.entries) if (e.kind === 'file') files.push({ digest: e.digest, what: `${t.what}/${e.path}` });
    }
    const failed = await forEachLimited(dedupe(files), this.parallel, fetchOne);
    if (failed) return failed;
    return { status: 'hit', result: entry.result, signedBy: check.keyName, blobsDownloaded: blobs, bytesDownloaded: bytes };
  }

  /** Every blob `result` names (trees expanded), each required in the local store. */
  private localBlobs(result: ActionResult): { ok: true; value: BlobNeed[] } | { ok: false; error: string } {
    const out: BlobNeed[] = [];
    for (const b of blobsNamedBy(result)) {
      if (!this.store.has(b.digest.hash)) return { ok: false, error: `${b.what}: blob ${b.digest.hash} is not in the local store` };
      out.push(b);
      if (!b.isTree) continue;
      const tree = parseTreeBlob(readFileSync(this.store.pathOf(b.digest.hash)), b.what);
      if (!tree.ok) return { ok: false, error: tree.error };
      for (const e of tree.value.entries) {
        if (e.kind !== 'file') continue;
        if (!this.store.has(e.digest.hash)) return { ok: false, error: `${b.what}/${e.path}: blob ${e.digest.hash} is not in the local store` };
        out.push({ digest: e.digest, what: `${b.what}/${e.path}` });
      }
    }
    return { ok: true, value: dedupe(out) };
  }

  private remoteFailed(err: RemoteError): RemoteLookup {
    this.noteFailure(err);
    return miss('remote-error', err.detail);
  }

  private uploadFailed(err: RemoteError): RemoteUpload {
    this.noteFailure(err);
    return { status: 'failed', reason: 'remote-error', detail: err.detail };
  }

  private noteFailure(err: RemoteError): void {
    if (err.cancelled) return; // ended from our side: not the server's failure
    this.failures++;
    if (this.failures === 1) this.onEvent({ type: 'remote-degraded', url: this.url, detail: err.detail });
    if (!this.disabled && (this.failures >= this.maxFailures || err.timedOut)) {
      this.disabled = true;
      // Whatever is still in flight would fail the same way: end it now, not one timeout later.
      this.http.abortAll();
      this.onEvent({ type: 'remote-disabled', url: this.url, failures: this.failures });
    }
  }

  private disabledDetail(): string {
    return `remote cache ${this.url} disabled for this build after ${this.failures} failure(s)`;
  }
}

/** Checks a remote cache URL before a build (a config error, shown once); undefined when fine. */
export function checkRemoteUrl(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `remote cache URL ${url}: only http:// and https:// are supported`;
    return undefined;
  } catch {
    return `remote cache URL ${JSON.stringify(url)} is not a URL (expected e.g. http://cache.local:8080/xsc)`;
  }
}

/** One line for the user, for each event (the engine prints `remote-degraded` as a warning). */
export function describeRemoteCacheEvent(e: RemoteCacheEvent): string {
  switch (e.type) {
    case 'remote-degraded':
      return `remote cache ${e.url} is failing (${e.detail}); building locally where it fails, further remote errors are only counted`;
    case 'remote-disabled':
      return `remote cache ${e.url} disabled for the rest of this build after ${e.failures} failure(s)`;
    case 'entry-rejected':
      return `remote entry for action ${e.actionKey.slice(0, 12)} not used (${e.reason}): ${e.detail}`;
    default:
      return unreachable(e);
  }
}

/** What `xbuild explain` says about a remote miss. */
export function describeRemoteMiss(reason: RemoteMissReason): string {
  switch (reason) {
    case 'absent':
      return 'the remote cache has no entry for this action key';
    case 'untrusted':
      return 'the remote entry is not signed by a trusted key (or its signature does not verify)';
    case 'unsigned':
      return 'the remote entry carries no signature';
    case 'malformed':
      return 'the remote entry is not a valid xbuild entry';
    case 'blob-missing':
      return 'the remote entry names a blob the server no longer has (evicted)';
    case 'blob-corrupt':
      return "a blob from the remote does not match the entry's SHA-256/size";
    case 'remote-error':
      return 'the remote cache failed (down, timeout, 5xx, full) or was disabled for this build';
    case 'local-error':
      return 'the local store could not take a downloaded blob (disk full? permissions?)';
    default:
      return unreachable(reason);
  }
}

function miss(reason: RemoteMissReason, detail: string): RemoteLookup {
  return { status: 'miss', reason, detail };
}

function dedupe(needs: readonly BlobNeed[]): BlobNeed[] {
  const seen = new Set<string>();
  return needs.filter((n) => (seen.has(n.digest.hash) ? false : (seen.add(n.digest.hash), true)));
}

/**
 * Runs `fn` over `items` with at most `limit` in flight; stops starting new ones at the first
 * non-undefined answer, waits for those in flight, and returns that first answer.
 */
async function forEachLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R | undefined>): Promise<R | undefined> {
  let next = 0;
  let first: R | undefined;
  const worker = async () => {
    while (first === undefined && next < items.length) {
      const r = await fn(items[next++]);
      if (r !== undefined && first === undefined) first = r;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return first;
}

function unreachable(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)} (this is an xbuild bug)`);
}
