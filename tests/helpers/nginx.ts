/**
 * A real Debian nginx (package `nginx`, which has `--with-http_dav_module`) serving a WebDAV
 * location on a free 127.0.0.1 port, for remote-cache tests. Everything lives in one temp dir:
 * config, pid, logs, body temp files and the served data.
 *
 * `startNginx({ prefix: 'xsc' })` -> `NginxServer` with `baseUrl` = `http://127.0.0.1:<port>/xsc/`
 * (the remote cache URL) and hooks to break it the ways a real server breaks:
 * - `stop()` / `start()`: kill it (connections refused) and bring it back on the same port;
 * - `pause()` / `resume()`: SIGSTOP/SIGCONT every nginx process, so connections are accepted
 *   by the kernel but never answered (a hung server: timeouts);
 * - `failWith(503)`: every request answers that status (500, 502, 503, 507), `failWith(undefined)` heals;
 * - `throttle(true)`: responses trickle at 64 KiB/s (to stop the server mid-body);
 * - `evict(area, hash)` / `tamper(area, hash)` / `pathOf(area, hash)`: edit the stored files.
 * Server-level `if (-f <control file>)` switches make these take effect without a reload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, closeSync, readSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NGINX_BINARIES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];
const FAIL_STATUSES = [500, 502, 503, 507] as const;
/** Bytes per second of a throttled response. */
export const THROTTLED_RATE = 65536;

export type FailStatus = (typeof FAIL_STATUSES)[number];

/** A running (or stopped) test nginx. Made by `startNginx`; call `dispose()` when done. */
export interface NginxServer {
  readonly port: number;
  /** The remote cache URL, ending in '/'. */
  readonly baseUrl: string;
  /** The temp dir holding config, logs and data. */
  readonly dir: string;
  /** Where `<baseUrl>/<area>/<hash>` is stored on disk. */
  pathOf(area: 'ac' | 'cas', hash: string): string;
  has(area: 'ac' | 'cas', hash: string): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  failWith(status: FailStatus | undefined): void;
  throttle(on: boolean): void;
  evict(area: 'ac' | 'cas', hash: string): void;
  /** Flips one byte in the middle of a stored file (same size, different content). */
  tamper(area: 'ac' | 'cas', hash: string): void;
  /** The access log lines so far (method, path, status). */
  accessLog(): string[];
  errorLog(): string;
  /** Stops nginx and removes the temp dir. */
  dispose(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) {
    try {
      if (p.pid) process.kill(p.pid, 'SIGCONT');
      p.kill('SIGKILL');
    } catch { /* gone */ }
  }
});

export function findNginx(): string {
  const found = NGINX_BINARIES.find((p) => existsSync(p));
  if (!found) throw new Error(`nginx not found (looked in ${NGINX_BINARIES.join(', ')}): install the Debian package: apt-get install -y nginx`);
  return found;
}

/**
 * Starts nginx. `prefix` is the first path segment of the cache URL; `basicAuth` makes every
 * request require those credentials (htpasswd with nginx's `{PLAIN}` scheme).
 */
export async function startNginx(opts: { prefix?: string; basicAuth?: { user: string; password: string } } = {}): Promise<NginxServer> {
  const binary = findNginx();
  const dir = mkdtempSync(join(tmpdir(), 'xbuild-nginx-'));
  const dataDir = join(dir, 'data');
  const controlDir = join(dir, 'control');
  for (const d of [dataDir, controlDir, join(dir, 'tmp')]) mkdirSync(d, { recursive: true });
  const prefix = (opts.prefix ?? 'xsc').replace(/^\/+|\/+$/g, '');
  const port = await freePort();
  if (opts.basicAuth) writeFileSync(join(dir, 'htpasswd'), `${opts.basicAuth.user}:{PLAIN}${opts.basicAuth.password}\n`);
  writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, dataDir, controlDir, port, opts.basicAuth !== undefined));
  let proc: ChildProcess | undefined;
  let paused = false;

  const start = async (): Promise<void> => {
    if (proc) return;
    const child = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    running.add(child);
    child.once('exit', () => {
      running.delete(child);
      if (proc === child) proc = undefined;
    });
    proc = child;
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`nginx exited at start (${child.exitCode ?? child.signalCode}): ${stderr}${safeRead(join(dir, 'error.log'))}`);
      }
      if (Date.now() > deadline) throw new Error(`nginx did not listen on 127.0.0.1:${port} within 10 s: ${safeRead(join(dir, 'error.log'))}`);
      await sleep(20);
    }
  };

  const stop = async (): Promise<void> => {
    const child = proc;
    if (!child || child.pid === undefined) return;
    if (paused) resumeAll(child.pid);
    paused = false;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    // Workers exit with the master on SIGTERM; wait until the port is free again.
    const deadline = Date.now() + 5_000;
    while ((await canConnect(port)) && Date.now() < deadline) await sleep(20);
  };

  const pathOf = (area: 'ac' | 'cas', hash: string) => join(dataDir, prefix, area, hash);
  const control = (name: string, on: boolean) => {
    const p = join(controlDir, name);
    if (on) writeFileSync(p, '');
    else rmSync(p, { force: true });
  };

  await start();
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/${prefix}/`,
    dir,
    pathOf,
    has: (area, hash) => existsSync(pathOf(area, hash)),
    start,
    stop,
    pause() {
      if (!proc?.pid) throw new Error('nginx is not running');
      for (const pid of [proc.pid, ...childrenOf(proc.pid)]) process.kill(pid, 'SIGSTOP');
      paused = true;
    },
    resume() {
      if (proc?.pid) resumeAll(proc.pid);
      paused = false;
    },
    failWith(status) {
      for (const s of FAIL_STATUSES) control(`fail-${s}`, s === status);
    },
    throttle(on) {
      control('slow', on);
    },
    evict(area, hash) {
      rmSync(pathOf(area, hash));
    },
    tamper(area, hash) {
      const p = pathOf(area, hash);
      const fd = openSync(p, 'r+');
      try {
        const size = readFileSync(p).length;
        const at = Math.floor(size / 2);
        const b = Buffer.alloc(1);
        readSync(fd, b, 0, 1, at);
        b[0] ^= 0xff;
        writeSync(fd, b, 0, 1, at);
      } finally {
        closeSync(fd);
      }
    },
    accessLog: () => safeRead(join(dir, 'access.log')).split('\n').filter((l) => l !== ''),
    errorLog: () => safeRead(join(dir, 'error.log')),
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function nginxConfig(dir: string, dataDir: string, controlDir: string, port: number, auth: boolean): string {
  const asRoot = process.getuid?.() === 0;
  const failIfs = FAIL_STATUSES.map((s) => `    if (-f ${controlDir}/fail-${s}) { return ${s}; }`).join('\n');
  return `# generated by tests/helpers/nginx.ts
daemon off;
master_process on;
worker_processes 1;
${asRoot ? 'user root root;' : ''}
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  log_format cache '$request_method $uri $status $body_bytes_sent';
  access_log ${dir}/access.log cache;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  client_max_body_size 0;
  sendfile on;
  log_not_found off;
  keepalive_requests 100000;
  types { }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${dataDir};
${failIfs}
    set $xbuild_rate 0;
    if (-f ${controlDir}/slow) { set $xbuild_rate ${THROTTLED_RATE}; }
    location / {
      limit_rate $xbuild_rate;
${auth ? `      auth_basic "xbuild cache";\n      auth_basic_user_file ${dir}/htpasswd;\n` : ''}      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
`;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(500, () => done(false));
  });
}

/** Direct children of `pid` (nginx workers), read from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = safeRead(`/proc/${name}/stat`);
    // Field 4 (ppid) follows the ")" that closes the command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) out.push(Number(name));
  }
  return out;
}

function resumeAll(pid: number): void {
  for (const p of [pid, ...childrenOf(pid)]) {
    try {
      process.kill(p, 'SIGCONT');
    } catch { /* gone */ }
  }
}

function safeRead(p: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
