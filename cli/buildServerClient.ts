/**
 * The client side of the build server (cli/buildServer.ts), as Bazel's: with XBUILD_SERVER=1,
 * `xbuild build` hands its command line to a resident xbuild that keeps the engine loaded, its
 * code compiled and warm, and prints what that one prints. A build then costs what it does, not
 * a process start and a module load each time (the leaf edit: bench/RESULTS.md, issue 18).
 *
 * One server per workspace, cache, installation, Node and environment: the socket's name is
 * their digest, so a server is only ever asked by a command line that would have run the same
 * way in its own process. When none answers, this command runs in its own process as without a
 * server and starts one (detached) for the next command. The socket lives in the workspace's
 * .xbuild/server/ (mode 0700: only this user reaches it); a workspace whose path makes the
 * socket's too long for a Unix socket (107 bytes) runs without a server.
 *
 * The server takes the workspace lock itself, for exactly the build it runs (this process holds
 * none). Ctrl-C here interrupts the server's build as it would this one's; if this process dies
 * (kill -9), the server sees the connection drop and interrupts the build the same way.
 *
 * Protocol: one JSON line from the client ({ argv, cwd, tty }), then `{"interrupt":true}` lines
 * on Ctrl-C; from the server, frames of a kind byte ('o' stdout, 'e' stderr, 'x' exit code), a
 * 4-byte big-endian length and the bytes.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DIST, INSTALL_ROOT } from '../engine/installation.js';
import { EXIT_CODE } from '../engine/report/blame.js';

/** Longest path a Unix socket takes on Linux (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;
/** Variables that differ between shells of the same user without changing what xbuild does. */
const VOLATILE_ENV = new Set(['_', 'OLDPWD', 'PWD', 'SHLVL']);

/** The request a client sends. */
export interface ServerRequest {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly tty: { readonly stdout: boolean; readonly stderr: boolean; readonly columns?: number; readonly rows?: number };
}

let insideServer = false;
/** Called by the server itself: the command lines it runs must not look for a server. */
export function markInsideServer(): void {
  insideServer = true;
}

/**
 * The socket of the server this build goes to (main.ts asks only with XBUILD_SERVER=1): the one
 * for its workspace, cache, installation, Node and environment. Undefined inside a server (its
 * command lines run there) and when the path is too long for a Unix socket.
 */
export function serverSocketPath(root: string, cacheDir: string): string | undefined {
  if (insideServer) return undefined;
  let bundle = '';
  try {
    const st = statSync(join(DIST, 'bundle', 'main.js'));
    bundle = `${st.ino}:${st.mtimeMs}`;
  } catch { /* an unbundled run: the install root still tells installations apart */ }
  const env = Object.entries(process.env).filter(([k]) => !VOLATILE_ENV.has(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const digest = createHash('sha256').update(JSON.stringify([root, cacheDir, INSTALL_ROOT, bundle, process.execPath, process.version, env])).digest('hex');
  const path = join(root, '.xbuild', 'server', `${digest.slice(0, 20)}.sock`);
  return Buffer.byteLength(path) <= MAX_SOCKET_PATH ? path : undefined;
}

/**
 * Runs `argv` on the server behind `socket`, printing what it prints; its exit code. Undefined
 * when no server answers (one is started for the next command; this one runs here).
 */
export function buildOnServer(socket: string, argv: readonly string[]): Promise<number | undefined> {
  return new Promise((resolvePromise) => {
    const conn = connect({ path: socket });
    let connected = false;
    let exitCode: number | undefined;
    let pending: Buffer = Buffer.alloc(0);
    const interrupt = () => {
      if (!conn.destroyed) conn.write('{"interrupt":true}\n');
    };
    conn.on('connect', () => {
      connected = true;
      process.on('SIGINT', interrupt);
      process.on('SIGTERM', interrupt);
      const request: ServerRequest = {
        argv, cwd: process.cwd(),
        tty: { stdout: !!process.stdout.isTTY, stderr: !!process.stderr.isTTY, columns: process.stderr.columns, rows: process.stderr.rows },
      };
      conn.write(`${JSON.stringify(request)}\n`);
    });
    conn.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 5) {
        const len = pending.readUInt32BE(1);
        if (pending.length < 5 + len) break;
        const kind = String.fromCharCode(pending[0]);
        const body = pending.subarray(5, 5 + len);
        pending = pending.subarray(5 + len);
        if (kind === 'o') process.stdout.write(body);
        else if (kind === 'e') process.stderr.write(body);
        else if (kind === 'x') exitCode = Number(body.toString());
      }
    });
    conn.on('error', (e: NodeJS.ErrnoException) => {
      if (connected) return; // 'close' follows and says what happened
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') startServer(socket);
      resolvePromise(undefined);
    });
    conn.on('close', () => {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
      if (!connected) return;
      if (exitCode === undefined) {
        process.stderr.write('xbuild: the build server stopped before the build finished (killed, or out of memory); run the build again: the next one finishes what this one left\n');
        resolvePromise(EXIT_CODE.environment); // a process killed from outside: the machine's
      } else resolvePromise(exitCode);
    });
  });
}

/** Starts a server on `socket`, detached from this terminal and process; its output goes to `<socket>.log`. */
function startServer(socket: string): void {
  try {
    mkdirSync(join(socket, '..'), { recursive: true, mode: 0o700 });
    const log = openSync(`${socket}.log`, 'a', 0o600);
    try {
      const child = spawn(process.execPath, [join(INSTALL_ROOT, 'bin', 'xbuild.js'), '__server', socket], {
        detached: true, stdio: ['ignore', log, log], env: process.env,
      });
      child.on('error', () => { /* no server this time: builds run in their own process */ });
      child.unref();
    } finally {
      closeSync(log);
    }
  } catch { /* no server this time: builds run in their own process */ }
}
