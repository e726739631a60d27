/**
 * `xbuild serve`: a small HTTP server showing a workspace's builds, live, from their event
 * streams in `.xbuild/builds/` (serve/buildStore.ts). It needs nothing from the build: a build
 * started before, during or after it, in any terminal, shows up; a new build replaces the one
 * followed.
 *
 * What it serves, and nothing else:
 *   GET /                              the page (serve/page/index.html)
 *   GET /static/<name>                 the page's files and its libraries, from a fixed list
 *   GET /api/builds                    the builds, newest first
 *   GET /api/builds/<id|latest>        one build: summary, comparison, every action's row
 *   GET /api/builds/<id|latest>/live   server-sent events: what changed since `?since=V`
 *   GET /logs/<id>/<name>              an action's log from .xbuild/logs/, only under a name
 *                                      the build's own records give (see BuildState.logs)
 * No path is made from a request: ids and log names are looked up among names the server
 * listed itself; a log is opened with O_NOFOLLOW inside a log folder that must really be the
 * workspace's (no symlink out).
 *
 * Access: by default it listens on 127.0.0.1 only (reach it with `ssh -L`) and accepts only
 * Host headers naming the loopback (a web page elsewhere cannot rebind a name to it). Any other
 * address needs a token, and then every request must carry it (`?token=`, `Authorization:
 * Bearer`): missing 401, wrong 403, compared in constant time.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeSync, constants, createReadStream, fstatSync, openSync, readFileSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BuildStore } from './buildStore.js';
import type { BuildState } from './buildState.js';

export interface ServeOptions {
  /** Workspace root. */
  readonly root: string;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (0: any free one). */
  readonly port?: number;
  /** Required on every request when set; required to be set for a non-loopback host. */
  readonly token?: string;
  /** The page's folder (serve/page of the installation). */
  readonly pageDir: string;
  /** How often a live page gets what changed, at most (ms). */
  readonly pushEveryMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

interface Asset { readonly type: string; readonly body: Buffer; readonly gz: Buffer; readonly cache: string }

/** The page's files and the libraries it loads, by the name the page asks for. */
function loadAssets(pageDir: string, token: string | undefined): Map<string, Asset> {
  const req = createRequire(import.meta.url);
  const files: [string, string, string][] = [
    ['/', join(pageDir, 'index.html'), 'text/html; charset=utf-8'],
    ['/static/dashboard.js', join(pageDir, 'dashboard.js'), 'text/javascript; charset=utf-8'],
    ['/static/dashboard.css', join(pageDir, 'dashboard.css'), 'text/css; charset=utf-8'],
    ['/static/echarts.min.js', req.resolve('echarts/dist/echarts.min.js'), 'text/javascript; charset=utf-8'],
    ['/static/tabulator.min.js', req.resolve('tabulator-tables/dist/js/tabulator.min.js'), 'text/javascript; charset=utf-8'],
    ['/static/tabulator.min.css', req.resolve('tabulator-tables/dist/css/tabulator.min.css'), 'text/css; charset=utf-8'],
  ];
  const out = new Map<string, Asset>();
  for (const [name, path, type] of files) {
    let body = readFileSync(path);
    // The page's own requests carry the token as its address did.
    if (name === '/') body = Buffer.from(body.toString('utf8').replaceAll('%TOKEN%', token ? `?token=${encodeURIComponent(token)}` : ''));
    out.set(name, { type, body, gz: gzipSync(body), cache: name.includes('.min.') ? 'max-age=86400' : 'no-cache' });
  }
  return out;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1';
  if (!isLoopback(host) && !o.token) throw new Error(`serving on ${host} (not the loopback) needs a token`);
  const tokenDigest = o.token ? digest(o.token) : undefined;
  const stateDir = join(o.root, '.xbuild');
  const logDir = join(stateDir, 'logs');
  const store = new BuildStore(stateDir);
  const assets = loadAssets(o.pageDir, o.token);
  // Once a second: live enough for builds of hours, and the page redraws half as often as at
  // 500 ms (its browser may be on the build machine itself).
  const pushEveryMs = o.pushEveryMs ?? 1000;

  /** Live pages: the build each follows ('latest' follows whatever build is newest) and the version it has. */
  const clients = new Set<{ res: ServerResponse; follow: string; id: string; version: number }>();

  const send = (res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const gzip = buf.length > 4096 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(status, { 'Content-Type': type, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}), ...extra });
    res.end(req.method === 'HEAD' ? undefined : gzip ? gzipSync(buf, { level: 1 }) : buf);
  };
  const fail = (res: ServerResponse, req: IncomingMessage, status: number, text: string) => send(res, req, status, 'text/plain; charset=utf-8', `${text}\n`);

  const snapshot = (s: BuildState, id: string) => ({
    summary: s.summary(store.alive(id)), compare: store.compare(id), rows: s.rowsSince(0), builds: store.list().slice(0, 50),
  });

  /** The last snapshot of each build, JSON and gzipped, while its version and liveness stay the same. */
  const snapshots = new Map<string, { key: string; json: Buffer; gz: Buffer }>();
  const sendSnapshot = (req: IncomingMessage, res: ServerResponse, id: string) => {
    const s = store.state(id);
    const alive = store.alive(id);
    const key = `${s.version}:${alive}:${store.previousOf(id)?.id}`;
    let snap = snapshots.get(id);
    if (snap?.key !== key || alive) {
      const json = Buffer.from(JSON.stringify(snapshot(s, id)));
      snap = { key, json, gz: gzipSync(json, { level: 1 }) };
      if (snapshots.size > 4) snapshots.clear();
      snapshots.set(id, snap);
    }
    const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache', ...(gz ? { 'Content-Encoding': 'gzip' } : {}) });
    res.end(req.method === 'HEAD' ? undefined : gz ? snap.gz : snap.json);
  };

  const authorized = (req: IncomingMessage, url: URL): number => {
    if (isLoopback(host)) {
      // DNS rebinding: a page elsewhere may resolve its own name to 127.0.0.1; its requests carry that name.
      const h = String(req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
      if (!isLoopback(h)) return 403;
    }
    if (!tokenDigest) return 200;
    const auth = String(req.headers.authorization ?? '');
    const given = url.searchParams.get('token') ?? (auth.startsWith('Bearer ') ? auth.slice(7) : undefined);
    if (given === undefined || given === '') return 401;
    return timingSafeEqual(digest(given), tokenDigest) ? 200 : 403;
  };

  const serveLog = (req: IncomingMessage, res: ServerResponse, id: string, name: string) => {
    const build = store.resolve(id);
    const s = build ? store.state(build) : undefined;
    if (!s || !s.logs.has(name) || name.includes('/') || name.includes('\0') || name.startsWith('.')) return fail(res, req, 404, 'no such log in this build');
    let real: string;
    try {
      real = realpathSync(logDir);
    } catch {
      return fail(res, req, 404, 'no logs yet');
    }
    if (real !== join(realpathSync(o.root), '.xbuild', 'logs')) return fail(res, req, 403, 'the log folder is not inside the workspace');
    let fd: number;
    try {
      fd = openSync(join(real, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return fail(res, req, code === 'ELOOP' ? 403 : 404, code === 'ELOOP' ? 'the log is a symbolic link: not served' : 'log not found');
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return fail(res, req, 403, 'not a regular file');
    }
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(st.size), 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      closeSync(fd);
      res.end();
      return;
    }
    createReadStream('', { fd, autoClose: true }).pipe(res);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return fail(res, req, 400, 'bad request');
    }
    const auth = authorized(req, url);
    if (auth === 401) return fail(res, req, 401, 'a token is required: add ?token=... to the address');
    if (auth === 403) return fail(res, req, 403, 'forbidden');
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, req, 405, 'only GET');
    const asset = assets.get(url.pathname);
    if (asset) {
      const gz = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, { 'Content-Type': asset.type, 'Cache-Control': asset.cache, ...(gz ? { 'Content-Encoding': 'gzip' } : {}) });
      res.end(req.method === 'HEAD' ? undefined : gz ? asset.gz : asset.body);
      return;
    }
    let parts: string[];
    try {
      parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return fail(res, req, 400, 'bad request');
    }
    if (parts[0] === 'api' && parts[1] === 'builds') {
      if (parts.length === 2) return send(res, req, 200, 'application/json', JSON.stringify(store.list()), { 'Cache-Control': 'no-cache' });
      const id = store.resolve(parts[2]);
      if (!id) return fail(res, req, 404, parts[2] === 'latest' ? 'no build in this workspace yet' : 'no such build');
      if (parts.length === 3) return sendSnapshot(req, res, id);
      if (parts.length === 4 && parts[3] === 'live') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
        const c = { res, follow: parts[2], id, version: Number(url.searchParams.get('since')) || 0 };
        clients.add(c);
        req.on('close', () => clients.delete(c));
        res.write(': live\n\n');
        push(c);
        return;
      }
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (parts[0] === 'logs' && parts.length === 3) return serveLog(req, res, parts[1], parts[2]);
    return fail(res, req, 404, 'not found');
  };

  /** Sends a page what changed since its version; a page following 'latest' is told of a newer build. */
  function push(c: { res: ServerResponse; follow: string; id: string; version: number }): void {
    if (c.follow === 'latest') {
      const latest = store.latestId();
      if (latest && latest !== c.id) {
        c.res.write(`event: build\ndata: ${JSON.stringify({ id: latest })}\n\n`);
        c.id = latest;
        c.version = -1;
        return;
      }
    }
    const s = store.state(c.id);
    const alive = store.alive(c.id);
    if (s.version === c.version && !alive) return;
    const since = c.version;
    c.version = s.version;
    c.res.write(`data: ${JSON.stringify({ summary: s.summary(alive), compare: store.compare(c.id), rows: since < 0 ? [] : s.rowsSince(since) })}\n\n`);
  }

  // Following: the builds folder and the followed event files are watched; a timer catches what
  // a watch missed (a folder made after the watch, a replaced file) and keeps running pages' clocks.
  let lastPush = 0;
  let pending: NodeJS.Timeout | undefined;
  const pushAll = () => {
    pending = undefined;
    lastPush = Date.now();
    store.forgetPruned();
    for (const c of clients) push(c);
  };
  const changed = () => {
    if (pending || !clients.size) return;
    pending = setTimeout(pushAll, Math.max(0, lastPush + pushEveryMs - Date.now()));
  };
  const watchers: FSWatcher[] = [];
  const watchFolder = () => {
    try {
      watchers.push(watch(store.buildsDir, { recursive: true }, changed));
    } catch { /* no builds folder yet: the timer looks again */ }
  };
  watchFolder();
  const timer = setInterval(() => {
    if (!watchers.length) watchFolder();
    if (clients.size) pushAll();
  }, 2000);
  timer.unref();
  const keepAlive = setInterval(() => {
    for (const c of clients) c.res.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  const server = createServer(handle);
  await new Promise<void>((ok, bad) => {
    server.once('error', bad);
    server.listen(o.port ?? 8765, host, () => ok());
  });
  const port = (server.address() as { port: number }).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/${o.token ? `?token=${encodeURIComponent(o.token)}` : ''}`,
    port,
    close: () => new Promise<void>((ok) => {
      clearInterval(timer);
      clearInterval(keepAlive);
      if (pending) clearTimeout(pending);
      for (const w of watchers) w.close();
      for (const c of clients) c.res.end();
      clients.clear();
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}
