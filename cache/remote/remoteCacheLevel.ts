/**
 * The remote cache as the executor's second cache level: adapts `RemoteCache` to the shape of
 * `RemoteCacheHook` in engine/execute/executor.ts (`lookup(key, action) -> { result?, note }`,
 * `upload(key, result, action)`), without importing the engine (cache/ knows nothing of it).
 *
 * Policy it applies (issue 4):
 * - a lookup answers a result only on a verified hit; otherwise a one-line note for `explain`
 *   ("remote: untrusted: signed by laptop-7, which is not trusted");
 * - writing is opt-in: `upload` defaults to true only when a signing key is given, and an upload
 *   without a signing key is a configuration error reported by `makeRemoteCacheLevel`;
 * - a failed upload never fails the action: it is counted in `stats()` and, for a server
 *   problem, reported once through the RemoteCache's `remote-degraded` event.
 *
 * Usage (CLI): `const lvl = makeRemoteCacheLevel({ url, store, trusted, signers, upload, onEvent })`;
 * pass `lvl.value` as `remote` to the build; print `describeRemoteCacheEvent` texts; at the end
 * read `lvl.value.stats()` for the summary and call `close()`.
 */
import type { ActionResult } from '../actionCache.js';
import type { BlobStore } from '../blobStore.js';
import type { Sha256 } from '../digest.js';
import type { KeyPair, Parsed, TrustedKeys } from '../signing.js';
import type { HttpRemoteCacheOptions } from './httpRemoteCache.js';
import { RemoteCache, checkRemoteUrl, type RemoteCacheEvent, type RemoteCacheStats, type RemoteLookup } from './remoteCache.js';

export interface RemoteCacheLevelOptions extends HttpRemoteCacheOptions {
  readonly url: string;
  readonly store: BlobStore;
  /** Keys whose signatures make a remote entry usable (`--trusted-key`). */
  readonly trusted: TrustedKeys;
  /** Keys that sign uploads (`--sign-with`). */
  readonly signers: readonly KeyPair[];
  /** `--remote-upload`; undefined means "only when a signing key is given". */
  readonly upload?: boolean;
  readonly onEvent?: (e: RemoteCacheEvent) => void;
  readonly maxFailures?: number;
  readonly parallelTransfers?: number;
}

/** Upload counters on top of the RemoteCache's own. */
export interface RemoteLevelStats extends RemoteCacheStats {
  readonly uploadsFailed: number;
  readonly uploadsEnabled: boolean;
}

export class RemoteCacheLevel {
  private uploadsFailed = 0;
  /** The last lookup answer per key, for `explain` and tests. */
  readonly lastLookup = new Map<Sha256, RemoteLookup>();

  constructor(
    readonly remote: RemoteCache,
    private readonly trusted: TrustedKeys,
    private readonly signers: readonly KeyPair[],
    readonly uploadsEnabled: boolean,
  ) {}

  async lookup(key: Sha256, _action?: unknown): Promise<{ result?: ActionResult; note: string }> {
    const r = await this.remote.lookup(key, this.trusted);
    this.lastLookup.set(key, r);
    if (r.status === 'hit') {
      return { result: r.result, note: `remote cache hit (signed by ${r.signedBy}; ${r.blobsDownloaded} blobs, ${r.bytesDownloaded} bytes downloaded)` };
    }
    return { note: `remote: ${r.reason}: ${r.detail}` };
  }

  async upload(key: Sha256, result: ActionResult, _action?: unknown): Promise<void> {
    if (!this.uploadsEnabled) return;
    const u = await this.remote.upload(key, result, this.signers);
    if (u.status !== 'uploaded') this.uploadsFailed++;
  }

  stats(): RemoteLevelStats {
    return { ...this.remote.stats(), uploadsFailed: this.uploadsFailed, uploadsEnabled: this.uploadsEnabled };
  }

  close(): void {
    this.remote.close();
  }
}

/** Checks the settings and makes the level; a configuration problem comes back as text. */
export function makeRemoteCacheLevel(o: RemoteCacheLevelOptions): Parsed<RemoteCacheLevel> {
  const badUrl = checkRemoteUrl(o.url);
  if (badUrl) return { ok: false, error: badUrl };
  const upload = o.upload ?? o.signers.length > 0;
  if (upload && o.signers.length === 0) {
    return { ok: false, error: '--remote-upload needs a signing key (--sign-with): unsigned entries would be ignored by every client' };
  }
  if (o.trusted.size === 0 && !upload) {
    return { ok: false, error: 'a remote cache with no --trusted-key and no upload would never be used: add --trusted-key=NAME:KEY' };
  }
  // A machine that signs trusts its own key: it can reuse what it uploaded.
  const own = o.signers.map((s) => s.publicKey);
  const trusted = own.length === 0 ? o.trusted : o.trusted.with(own);
  return { ok: true, value: new RemoteCacheLevel(new RemoteCache(o), trusted, o.signers, upload) };
}
