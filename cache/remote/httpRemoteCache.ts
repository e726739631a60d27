/**
 * A client for the Bazel HTTP remote cache protocol, as bazel-remote documents it:
 * `GET/PUT/HEAD <base>/ac/<sha256>` (action results) and `<base>/cas/<sha256>` (blobs).
 * It works unchanged against a stock nginx with WebDAV PUT (`dav_methods PUT;
 * create_full_put_path on;`), against bazel-remote (started with
 * `--disable_http_ac_validation`, since our AC values are JSON, not protobuf), and any server that
 * stores what is PUT and serves it back by the same path.
 *
 * Public surface: `HttpRemoteCache` with `head`, `getBytes`, `downloadToStore`, `putBytes`,
 * `putFile`, `close`; the outcome types below. No method throws for a remote failure: refused
 * connections, resets mid-body, timeouts, 5xx/507 and unexpected statuses all come back as
 * `{ status: 'remote-error' }`; only bugs throw.
 *
 * Invariants:
 * - Blobs stream between the socket and disk; a blob is never held whole in memory. Only
 *   `getBytes` buffers, and it refuses bodies above its cap.
 * - A downloaded blob lands in the BlobStore only when its SHA-256 and size match (putStream).
 * - Every request is bounded: a connect timeout, then an idle timeout that resets on every byte;
 *   transient failures are retried a bounded number of times with exponential backoff; a timeout
 *   is not retried (it has already cost its budget).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { Transform, pipeline, type Readable } from 'node:stream';
import type { BlobStore } from '../blobStore.js';
import type { Digest, Sha256 } from '../digest.js';

/** The two namespaces of the protocol. */
export type RemoteArea = 'ac' | 'cas';

/** Tunables of the HTTP client; every field has a default. */
export interface HttpRemoteCacheOptions {
  /** Time allowed to open a TCP connection. Default 2,000 ms. */
  readonly connectTimeoutMs?: number;
  /** Time allowed without any byte moving (headers or body). Default 10,000 ms. */
  readonly idleTimeoutMs?: number;
  /** Extra attempts after a transient failure (refused, reset, 5xx other than 501/505/507). Default 2. */
  readonly retries?: number;
  /** First backoff delay; doubles per attempt. Default 100 ms. */
  readonly retryBaseDelayMs?: number;
  /** Parallel connections to the server. Default 4. */
  readonly maxSockets?: number;
  /** Extra request headers (e.g. Authorization). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A failure talking to the remote; `transient` ones were retried already. */
export interface RemoteError {
  readonly status: 'remote-error';
  /** Human text naming the request and what went wrong. */
  readonly detail: string;
  /** HTTP status when the server answered. */
  readonly httpStatus?: number;
  /** True when the request timed out. */
  readonly timedOut: boolean;
}

export type HeadOutcome = { readonly status: 'present'; readonly sizeBytes?: number } | { readonly status: 'absent' } | RemoteError;
export type GetBytesOutcome =
  | { readonly status: 'ok'; readonly bytes: Buffer }
  | { readonly status: 'absent' }
  | { readonly status: 'too-large'; readonly detail: string }
  | RemoteError;
export type DownloadOutcome =
  | { readonly status: 'stored'; readonly bytes: number }
  | { readonly status: 'absent' }
  | { readonly status: 'corrupt'; readonly detail: string }
  /** The local store could not take the blob (disk full, permissions): not the server's fault. */
  | { readonly status: 'local-error'; readonly detail: string }
  | RemoteError;
export type PutOutcome =
  | { readonly status: 'stored'; readonly bytes: number }
  /** The local file does not hash to the name it is uploaded under; the PUT was cut short. */
  | { readonly status: 'local-corrupt'; readonly detail: string }
  | RemoteError;

/** Byte and request counters since the client was made. */
export interface TransferCounters {
  bytesDownloaded: number;
  bytesUploaded: number;
  requests: number;
  retries: number;
}

type AttemptResult<T> = T | RemoteError | { readonly status: 'retryable'; readonly error: RemoteError };

class TimeoutError extends Error {
  constructor(readonly phase: 'connect' | 'idle' | undefined) {
    super(phase === 'connect' ? 'connect timed out' : 'timed out');
  }
}

export class HttpRemoteCache {
  readonly baseUrl: URL;
  readonly counters: TransferCounters = { bytesDownloaded: 0, bytesUploaded: 0, requests: 0, retries: 0 };
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(baseUrl: string, opts: HttpRemoteCacheOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`remote cache URL ${baseUrl}: only http:// and https:// are supported`);
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.baseUrl = url;
    this.lib = url.protocol === 'https:' ? https : http;
    this.agent = new this.lib.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 4 });
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
    this.retries = opts.retries ?? 2;
    this.retryBaseDelayMs = opts.retryBaseDelayMs ?? 100;
    const auth: Record<string, string> = url.username ? { Authorization: `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}` } : {};
    this.headers = { ...auth, ...(opts.headers ?? {}) };
  }

  /** The URL of one entry, e.g. `<base>/cas/<sha256>`. */
  urlOf(area: RemoteArea, hash: Sha256): URL {
    const u = new URL(`${area}/${hash}`, this.baseUrl);
    u.username = '';
    u.password = '';
    return u;
  }

  /** Whether the server has the entry (and its size when the server says). */
  head(area: RemoteArea, hash: Sha256): Promise<HeadOutcome> {
    return this.withRetries(area, hash, (url) =>
      this.attempt<HeadOutcome>('HEAD', url, undefined, async (res) => {
        res.resume();
        if (res.statusCode === 200) {
          const len = Number(res.headers['content-length']);
          return Number.isSafeInteger(len) ? { status: 'present', sizeBytes: len } : { status: 'present' };
        }
        return this.classifyStatus('HEAD', url, res.statusCode ?? 0);
      }),
    );
  }

  /** Reads a small entry (an AC entry, a Tree blob) into memory, refusing bodies over `maxBytes`. */
  getBytes(area: RemoteArea, hash: Sha256, maxBytes: number): Promise<GetBytesOutcome> {
    return this.withRetries(area, hash, (url) =>
      this.attempt<GetBytesOutcome>('GET', url, undefined, (res, watchdog) => {
        if (res.statusCode !== 200) {
          res.resume();
          return Promise.resolve(this.classifyStatus('GET', url, res.statusCode ?? 0));
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isSafeInteger(declared) && declared > maxBytes) {
          res.destroy();
          return Promise.resolve({ status: 'too-large', detail: `GET ${url}: ${declared} bytes, over the ${maxBytes}-byte limit` });
        }
        return new Promise<GetBytesOutcome | AttemptResult<never>>((resolve) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            watchdog.kick();
            size += c.length;
            this.counters.bytesDownloaded += c.length;
            if (size > maxBytes) {
              res.destroy();
              resolve({ status: 'too-large', detail: `GET ${url}: body over the ${maxBytes}-byte limit` });
            } else chunks.push(c);
          });
          res.on('end', () => resolve({ status: 'ok', bytes: Buffer.concat(chunks) }));
          res.on('error', (e) => resolve(this.transportFailure('GET', url, e)));
        });
      }),
    );
  }

  /**
   * Streams the blob `expected` from the server into `store`. `corrupt` when the server's bytes do
   * not hash to `expected` (nothing is stored); `remote-error` when the transfer broke.
   */
  downloadToStore(expected: Digest, store: Pick<BlobStore, 'putStream'>): Promise<DownloadOutcome> {
    return this.withRetries('cas', expected.hash, (url) =>
      this.attempt<DownloadOutcome>('GET', url, undefined, async (res, watchdog) => {
        if (res.statusCode !== 200) {
          res.resume();
          return this.classifyStatus('GET', url, res.statusCode ?? 0);
        }
        const declared = Number(res.headers['content-length']);
        if (Number.isSafeInteger(declared) && declared !== expected.sizeBytes) {
          res.destroy();
          return { status: 'corrupt', detail: `GET ${url}: server has ${declared} bytes, the entry names ${expected.sizeBytes}` };
        }
        let received = 0;
        let transportError: Error | undefined;
        const counter = new Transform({
          transform: (chunk: Buffer, _enc, cb) => {
            watchdog.kick();
            received += chunk.length;
            this.counters.bytesDownloaded += chunk.length;
            cb(null, chunk);
          },
        });
        pipeline(res, counter, (e) => {
          if (e) transportError = e;
        });
        res.on('error', (e) => (transportError ??= e));
        res.on('aborted', () => (transportError ??= new Error('aborted')));
        try {
          await store.putStream(counter, expected);
          return { status: 'stored', bytes: received };
        } catch (e) {
          // File-system errors name a path; socket errors do not.
          if ((e as NodeJS.ErrnoException).path !== undefined) return { status: 'local-error', detail: `storing ${expected.hash}: ${(e as Error).message}` };
          if (transportError || watchdog.fired) return this.transportFailure('GET', url, transportError ?? (e as Error), watchdog.fired);
          return { status: 'corrupt', detail: `GET ${url}: ${(e as Error).message}` };
        }
      }),
    );
  }

  /** Stores a small value (an AC entry). */
  putBytes(area: RemoteArea, hash: Sha256, bytes: Uint8Array): Promise<PutOutcome> {
    return this.withRetries(area, hash, (url) =>
      this.attempt<PutOutcome>('PUT', url, { length: bytes.byteLength, open: () => bytes }, async (res) => {
        res.resume();
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
          this.counters.bytesUploaded += bytes.byteLength;
          return { status: 'stored', bytes: bytes.byteLength };
        }
        return this.failureOf('PUT', url, res.statusCode ?? 0);
      }),
    );
  }

  /**
   * Streams a file (a blob of the local store) to `<base>/cas/<hash>`, hashing it on the way:
   * when the bytes do not match `hash`/`sizeBytes` the request is aborted before its last chunk,
   * so the server never completes the PUT and a rotten local blob cannot poison the cache.
   */
  putFile(hash: Sha256, path: string, sizeBytes: number): Promise<PutOutcome> {
    return this.withRetries('cas', hash, (url) =>
      this.attempt<PutOutcome>('PUT', url, { length: sizeBytes, open: () => createReadStream(path).pipe(new VerifyingTap(hash, sizeBytes, path)) }, async (res) => {
        res.resume();
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
          this.counters.bytesUploaded += sizeBytes;
          return { status: 'stored', bytes: sizeBytes };
        }
        return this.failureOf('PUT', url, res.statusCode ?? 0);
      }),
    );
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  private async withRetries<T extends { status: string }>(
    area: RemoteArea,
    hash: Sha256,
    once: (url: URL) => Promise<AttemptResult<T>>,
  ): Promise<T | RemoteError> {
    const url = this.urlOf(area, hash);
    for (let attempt = 0; ; attempt++) {
      const r = await once(url);
      if (r.status !== 'retryable') return r as T | RemoteError;
      const err = (r as { error: RemoteError }).error;
      if (attempt >= this.retries || err.timedOut) return err;
      this.counters.retries++;
      await sleep(this.retryBaseDelayMs * 2 ** attempt);
    }
  }

  /** One request; `onResponse` consumes the response. Transport failures become results. */
  private attempt<T>(
    method: string,
    url: URL,
    body: { length: number; open: () => Uint8Array | Readable } | undefined,
    onResponse: (res: http.IncomingMessage, watchdog: Watchdog) => Promise<T | AttemptResult<never>>,
  ): Promise<T | AttemptResult<never>> {
    this.counters.requests++;
    return new Promise((resolve) => {
      let settled = false;
      const settle = (v: T | AttemptResult<never>) => {
        if (!settled) {
          settled = true;
          watchdog.stop();
          resolve(v);
        }
      };
      const headers: Record<string, string> = { ...this.headers };
      if (body) headers['Content-Length'] = String(body.length);
      let req: http.ClientRequest | undefined;
      const watchdog = new Watchdog(this.connectTimeoutMs, this.idleTimeoutMs, () => req?.destroy(new TimeoutError(watchdog.firedPhase)));
      try {
        req = this.lib.request(url, { method, agent: this.agent, headers });
      } catch (e) {
        // e.g. a header with characters HTTP does not allow: a configuration problem, not a crash.
        settle({ status: 'remote-error', detail: `${method} ${url}: ${(e as Error).message}`, timedOut: false });
        return;
      }
      req.on('socket', (socket) => {
        if (!socket.connecting) watchdog.connected();
        else {
          watchdog.connecting();
          socket.once('connect', () => watchdog.connected());
        }
      });
      req.on('error', (e) => settle(this.transportFailure(method, url, e, watchdog.fired)));
      req.on('response', (res) => {
        watchdog.kick();
        onResponse(res, watchdog).then(settle, (e: Error) => settle(this.transportFailure(method, url, e, watchdog.fired)));
      });
      if (!body) req.end();
      else {
        const src = body.open();
        if (src instanceof Uint8Array) req.end(src);
        else {
          src.on('data', () => watchdog.kick());
          pipeline(src, req, (e) => {
            if (e instanceof LocalBlobMismatch) settle({ status: 'local-corrupt', detail: e.message } as T);
            else if (e) settle(this.transportFailure(method, url, e, watchdog.fired));
          });
        }
      }
    });
  }

  /** 404 means absent for GET and HEAD; any other status is a failure. */
  private classifyStatus(method: string, url: URL, code: number): { status: 'absent' } | AttemptResult<never> {
    if (code === 404 && method !== 'PUT') return { status: 'absent' };
    return this.failureOf(method, url, code);
  }

  private failureOf(method: string, url: URL, code: number): AttemptResult<never> {
    const err: RemoteError = { status: 'remote-error', detail: `${method} ${url}: HTTP ${code}${statusHint(code)}`, httpStatus: code, timedOut: false };
    const transient = code === 408 || code === 429 || (code >= 500 && code !== 501 && code !== 505 && code !== 507);
    return transient ? { status: 'retryable', error: err } : err;
  }

  private transportFailure(method: string, url: URL, e: Error, timedOut = false): AttemptResult<never> {
    const isTimeout = timedOut || e instanceof TimeoutError;
    const phase = e instanceof TimeoutError ? e.phase : undefined;
    const code = (e as NodeJS.ErrnoException).code;
    const what = isTimeout
      ? phase === 'connect'
        ? `could not connect within ${this.connectTimeoutMs} ms`
        : `no response for ${this.idleTimeoutMs} ms (server hung or too slow)`
      : code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ECONNRESET' || e.message === 'aborted'
          ? 'connection reset mid-transfer'
          : e.message;
    const err: RemoteError = { status: 'remote-error', detail: `${method} ${url}: ${what}${code && !isTimeout ? ` (${code})` : ''}`, timedOut: isTimeout };
    return { status: 'retryable', error: err };
  }
}

class LocalBlobMismatch extends Error {}

/**
 * Passes bytes through while hashing them, holding back the latest chunk: at the end it
 * releases that chunk only when the digest matches, else fails the stream (so the request
 * carrying it never completes).
 */
class VerifyingTap extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  private held: Buffer | undefined;

  constructor(private readonly expected: Sha256, private readonly expectedSize: number, private readonly path: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    const previous = this.held;
    this.held = chunk;
    cb(null, previous);
  }

  override _flush(cb: (e?: Error | null) => void): void {
    const got = this.hash.digest('hex');
    if (got !== this.expected || this.size !== this.expectedSize) {
      cb(new LocalBlobMismatch(`local blob ${this.path} hashes to ${got} (${this.size} bytes), not its name ${this.expected} (${this.expectedSize} bytes): not uploaded`));
      return;
    }
    if (this.held) this.push(this.held);
    cb();
  }
}

/**
 * Destroys a request when no byte moved for too long. It starts only when the request gets a
 * socket (time spent queued behind other requests for a pooled socket is not the server's fault):
 * the connect timeout while a new socket connects, then the idle timeout, reset by every byte.
 * Once stopped it never fires again (the socket may be serving another request by then).
 */
class Watchdog {
  fired = false;
  /** Which limit fired: 'connect' or 'idle'. */
  firedPhase: 'connect' | 'idle' | undefined;
  private phase: 'connect' | 'idle' = 'connect';
  private timer: NodeJS.Timeout | undefined;
  private state: 'waiting' | 'armed' | 'stopped' = 'waiting';

  constructor(private readonly connectMs: number, private readonly idleMs: number, private readonly onFire: () => void) {}

  /** The request got a socket that is still connecting. */
  connecting(): void {
    if (this.state === 'waiting') this.arm(this.connectMs, 'connect');
  }

  /** The request's socket is connected; from now on count idle time. */
  connected(): void {
    if (this.state !== 'stopped') this.arm(this.idleMs, 'idle');
  }

  /** Bytes moved. */
  kick(): void {
    if (this.state === 'armed') this.arm(this.idleMs, 'idle');
  }

  stop(): void {
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number, phase: 'connect' | 'idle'): void {
    this.state = 'armed';
    this.phase = phase;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.state !== 'armed') return;
      this.fired = true;
      this.firedPhase = this.phase;
      this.state = 'stopped';
      this.onFire();
    }, ms);
  }
}

function statusHint(code: number): string {
  switch (code) {
    case 401:
    case 403:
      return ' (not allowed: check credentials)';
    case 405:
      return ' (method not allowed: does the server accept PUT? nginx needs `dav_methods PUT`)';
    case 409:
      return ' (conflict: nginx needs `create_full_put_path on`)';
    case 413:
      return ' (too large: raise the server body limit, e.g. nginx `client_max_body_size 0`)';
    case 507:
      return ' (server out of storage)';
    default:
      return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
