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
 * - A downloaded blob lands in the BlobStore only when its SHA-256 and size match (putStream),
 *   and the body is cut at the expected size: a longer (or endless) body is `corrupt` at the
 *   first byte too many, and the partial temp file is deleted.
 * - Every request is bounded in time three ways: a connect timeout, an idle timeout that resets
 *   on every byte, and a total deadline (`deadlineMs` plus the time the body takes at
 *   `minBytesPerSecond`), so a server that drips a byte now and then cannot hold a request for
 *   ever. Transient failures are retried a bounded number of times with exponential backoff; a
 *   timeout is not retried (it has already cost its budget).
 * - At most `maxSockets` requests are in flight; the others wait for a free slot (not for a
 *   pooled socket inside the agent), and a slot is held at most one deadline. `abortAll()`
 *   (the remote was disabled) and the `signal` (the build was interrupted) end every request
 *   in flight and every waiting one at once, as `remote-error`.
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
  /** Total time allowed for a request with no body to speak of; a body adds its size at `minBytesPerSecond`. Default 30,000 ms. */
  readonly deadlineMs?: number;
  /** The slowest transfer rate a deadline allows for, in bytes per second. Default 256 KiB/s. */
  readonly minBytesPerSecond?: number;
  /** Requests in flight at once (each with its own connection). Default 8. */
  readonly maxSockets?: number;
  /** Ends every request at once when aborted (the build was interrupted). */
  readonly signal?: AbortSignal;
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
  /** True when the request was ended from our side (`abortAll`, or the caller's signal). */
  readonly cancelled?: boolean;
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
  constructor(readonly phase: 'connect' | 'idle' | 'deadline' | undefined) {
    super(phase === 'connect' ? 'connect timed out' : 'timed out');
  }
}

/** The request was ended from our side: the build was interrupted, or the remote disabled. */
class CancelledError extends Error {}

/** A body longer than the digest it must have. */
class BodyTooLong extends Error {}

/**
 * At most `size` holders at once; `acquire` waits for a free slot, and fails at once when
 * `cancelled` is (or becomes) aborted.
 */
class Slots {
  private free: number;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(cancelled: AbortSignal): Promise<() => void> {
    if (cancelled.aborted) return Promise.reject(new CancelledError());
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const me = {
        grant: () => {
          cancelled.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(me);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new CancelledError());
      };
      cancelled.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(me);
    });
  }
}

export class HttpRemoteCache {
  readonly baseUrl: URL;
  readonly counters: TransferCounters = { bytesDownloaded: 0, bytesUploaded: 0, requests: 0, retries: 0 };
  private readonly agent: http.Agent;
  private readonly lib: typeof http | typeof https;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly deadlineMs: number;
  private readonly minBytesPerSecond: number;
  private readonly retries: number;
  private readonly retryBaseDelayMs: number;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly slots: Slots;
  /** Aborted by `abortAll()` or by the caller's signal: every request ends. */
  private readonly cancel = new AbortController();
  private readonly unlinkSignal: () => void;

  constructor(baseUrl: string, opts: HttpRemoteCacheOptions = {}) {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`remote cache URL ${baseUrl}: only http:// and https:// are supported`);
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.baseUrl = url;
    this.lib = url.protocol === 'https:' ? https : http;
    const maxSockets = Math.max(1, opts.maxSockets ?? 8);
    this.agent = new this.lib.Agent({ keepAlive: true, maxSockets });
    this.slots = new Slots(maxSockets);
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2_000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
    this.deadlineMs = opts.deadlineMs ?? 30_000;
    this.minBytesPerSecond = opts.minBytesPerSecond ?? 256 << 10;
    const outer = opts.signal;
    const onOuterAbort = () => this.abortAll();
    if (outer?.aborted) this.abortAll();
    else outer?.addEventListener('abort', onOuterAbort, { once: true });
    this.unlinkSignal = () => outer?.removeEventListener('abort', onOuterAbort);
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
      this.attempt<HeadOutcome>('HEAD', url, undefined, 0, async (res) => {
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
      this.attempt<GetBytesOutcome>('GET', url, undefined, 0, (res, watchdog) => {
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
      this.attempt<DownloadOutcome>('GET', url, undefined, expected.sizeBytes, async (res, watchdog) => {
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
            // The entry says how long the blob is: a byte more and the body is wrong (or endless).
            if (received > expected.sizeBytes) cb(new BodyTooLong(`more than the ${expected.sizeBytes} bytes the entry names`));
            else cb(null, chunk);
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
          if (e instanceof BodyTooLong || transportError instanceof BodyTooLong) {
            res.destroy();
            return { status: 'corrupt', detail: `GET ${url}: ${(e instanceof BodyTooLong ? e : (transportError as Error)).message}` };
          }
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
      this.attempt<PutOutcome>('PUT', url, { length: bytes.byteLength, open: () => bytes }, bytes.byteLength, async (res) => {
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
      this.attempt<PutOutcome>('PUT', url, { length: sizeBytes, open: () => createReadStream(path).pipe(new VerifyingTap(hash, sizeBytes, path)) }, sizeBytes, async (res) => {
        res.resume();
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
          this.counters.bytesUploaded += sizeBytes;
          return { status: 'stored', bytes: sizeBytes };
        }
        return this.failureOf('PUT', url, res.statusCode ?? 0);
      }),
    );
  }

  /** Ends every request in flight or waiting, now and from now on (as `remote-error`). */
  abortAll(): void {
    this.cancel.abort();
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.unlinkSignal();
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
      if (attempt >= this.retries || err.timedOut || this.cancel.signal.aborted) return err;
      this.counters.retries++;
      await sleep(this.retryBaseDelayMs * 2 ** attempt, this.cancel.signal);
    }
  }

  /**
   * One request, once a slot is free; `onResponse` consumes the response. Transport failures
   * become results. `bodyBytes`: how much the body carries either way (it extends the deadline).
   */
  private async attempt<T>(
    method: string,
    url: URL,
    body: { length: number; open: () => Uint8Array | Readable } | undefined,
    bodyBytes: number,
    onResponse: (res: http.IncomingMessage, watchdog: Watchdog) => Promise<T | AttemptResult<never>>,
  ): Promise<T | AttemptResult<never>> {
    let release: () => void;
    try {
      release = await this.slots.acquire(this.cancel.signal);
    } catch (e) {
      return this.transportFailure(method, url, e as Error);
    }
    try {
      return await this.attemptNow(method, url, body, bodyBytes, onResponse);
    } finally {
      release();
    }
  }

  private attemptNow<T>(
    method: string,
    url: URL,
    body: { length: number; open: () => Uint8Array | Readable } | undefined,
    bodyBytes: number,
    onResponse: (res: http.IncomingMessage, watchdog: Watchdog) => Promise<T | AttemptResult<never>>,
  ): Promise<T | AttemptResult<never>> {
    this.counters.requests++;
    return new Promise((resolve) => {
      let settled = false;
      const cancelled = this.cancel.signal;
      const onCancel = () => req?.destroy(new CancelledError());
      const settle = (v: T | AttemptResult<never>) => {
        if (!settled) {
          settled = true;
          watchdog.stop();
          cancelled.removeEventListener('abort', onCancel);
          resolve(v);
        }
      };
      const headers: Record<string, string> = { ...this.headers };
      if (body) headers['Content-Length'] = String(body.length);
      let req: http.ClientRequest | undefined;
      const deadline = this.deadlineMs + Math.ceil((bodyBytes * 1000) / this.minBytesPerSecond);
      const watchdog = new Watchdog(this.connectTimeoutMs, this.idleTimeoutMs, deadline, () => req?.destroy(new TimeoutError(watchdog.firedPhase)));
      try {
        req = this.lib.request(url, { method, agent: this.agent, headers });
      } catch (e) {
        // e.g. a header with characters HTTP does not allow: a configuration problem, not a crash.
        settle({ status: 'remote-error', detail: `${method} ${url}: ${(e as Error).message}`, timedOut: false });
        return;
      }
      cancelled.addEventListener('abort', onCancel, { once: true });
      if (cancelled.aborted) onCancel();
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
        // A response body that stops being read must not keep the socket: destroy it with the request.
        res.on('error', () => {});
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
    if (e instanceof CancelledError || (this.cancel.signal.aborted && !(e instanceof TimeoutError))) {
      // Ended from our side: not the server's failure, and not worth a retry.
      return { status: 'remote-error', detail: `${method} ${url}: cancelled (build interrupted, or the remote cache was disabled)`, timedOut: false, cancelled: true };
    }
    const isTimeout = timedOut || e instanceof TimeoutError;
    const phase = e instanceof TimeoutError ? e.phase : undefined;
    const code = (e as NodeJS.ErrnoException).code;
    const what = isTimeout
      ? phase === 'connect'
        ? `could not connect within ${this.connectTimeoutMs} ms`
        : phase === 'deadline'
          ? 'did not finish within its deadline (server too slow)'
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
 * Destroys a request that takes too long. Idle limits start only when the request gets a
 * socket: the connect timeout while a new socket connects, then the idle timeout, reset by every
 * byte. The deadline runs from the start, whatever moves, so a trickle of bytes cannot hold a
 * request for ever. Once stopped it never fires again (the socket may serve another request).
 */
class Watchdog {
  fired = false;
  /** Which limit fired. */
  firedPhase: 'connect' | 'idle' | 'deadline' | undefined;
  private phase: 'connect' | 'idle' = 'connect';
  private timer: NodeJS.Timeout | undefined;
  private readonly deadlineTimer: NodeJS.Timeout;
  private state: 'waiting' | 'armed' | 'stopped' = 'waiting';

  constructor(private readonly connectMs: number, private readonly idleMs: number, deadlineMs: number, private readonly onFire: () => void) {
    this.deadlineTimer = setTimeout(() => this.fire('deadline'), deadlineMs);
  }

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
    clearTimeout(this.deadlineTimer);
    this.timer = undefined;
  }

  private fire(phase: 'connect' | 'idle' | 'deadline'): void {
    if (this.state === 'stopped') return;
    this.fired = true;
    this.firedPhase = phase;
    this.stop();
    this.onFire();
  }

  private arm(ms: number, phase: 'connect' | 'idle'): void {
    this.state = 'armed';
    this.phase = phase;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.state === 'armed') this.fire(this.phase);
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

function sleep(ms: number, cancelled: AbortSignal): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      cancelled.removeEventListener('abort', done);
      r();
    }
    cancelled.addEventListener('abort', done, { once: true });
  });
}
