/**
 * The build server (`xbuild __server <socket>`, started by cli/buildServerClient.ts): a resident
 * xbuild that runs the command lines its clients send through the same `main` a command line
 * runs, one at a time, with their output sent back to them.
 *
 * What carries over from one build to the next is only what any process keeps: compiled and
 * warmed-up code. Every build opens its workspace lock, cache and database itself and closes
 * them, as a build in its own process does, so a server killed at any moment leaves what a
 * killed build leaves (the next build takes the lock over and clears it).
 *
 * It stops when idle for XBUILD_SERVER_IDLE_S seconds (default 3 hours, as Bazel's), or as soon
 * as its socket is gone or replaced (`xbuild clean --all`, the workspace deleted, another server
 * on the same name).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { markInsideServer, type ServerRequest } from './buildServerClient.js';
import { EXIT_CODE, internalErrorText } from '../engine/report/blame.js';
import { resetEngineCpu } from '../engine/report/events.js';

const DEFAULT_IDLE_S = 3 * 3600;
/** How often the server checks its socket and its idle time. */
const WATCH_MS = 2000;

export async function runBuildServer(socket: string): Promise<number> {
  if (!socket) {
    process.stderr.write('xbuild: __server needs the socket path (it is started by `xbuild build` with XBUILD_SERVER=1)\n');
    return EXIT_CODE.user;
  }
  markInsideServer();
  const idleMs = Math.max(1, Number(process.env.XBUILD_SERVER_IDLE_S) || DEFAULT_IDLE_S) * 1000;
  const { main } = await import('./main.js');
  mkdirSync(dirname(socket), { recursive: true, mode: 0o700 });
  chmodSync(dirname(socket), 0o700);
  let queue = Promise.resolve();
  let busy = 0;
  let lastUsed = Date.now();
  const server = createServer((conn) => {
    // A client gone while its request waits (EPIPE, ECONNRESET) is noticed when its turn comes.
    conn.on('error', () => undefined);
    if (busy > 0) conn.write(frame('e', 'xbuild: the build server is running another build; waiting for it to finish...\n'));
    busy++;
    queue = queue.then(() => serveOne(conn, main)).catch(() => undefined).finally(() => {
      busy--;
      lastUsed = Date.now();
    });
  });
  if (!(await listen(server, socket))) return 0; // another server answers on this socket
  const ino = statSync(socket).ino;
  log(`serving ${socket} (pid ${process.pid})`);
  return new Promise((resolvePromise) => {
    const watch = setInterval(() => {
      const ours = inodeOf(socket) === ino;
      if (ours && (busy > 0 || Date.now() - lastUsed < idleMs)) return;
      clearInterval(watch);
      server.close();
      if (ours) rmSync(socket, { force: true });
      log(ours ? `idle for ${Math.round(idleMs / 1000)} s: stopping` : 'socket gone or replaced: stopping');
      resolvePromise(0);
    }, Math.min(WATCH_MS, idleMs));
  });
}

/** Listens on `socket`; false when a live server already does. A socket file left by a dead one is replaced. */
async function listen(server: Server, socket: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(socket, () => {
          server.off('error', fail);
          ok();
        });
      });
      chmodSync(socket, 0o600);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 0) throw e;
      if (await answers(socket)) return false;
      rmSync(socket, { force: true });
    }
  }
}

function answers(socket: string): Promise<boolean> {
  return new Promise((ok) => {
    const c = connect({ path: socket });
    c.on('connect', () => {
      c.destroy();
      ok(true);
    });
    c.on('error', () => ok(false));
  });
}

/** Runs one client's command line with its output sent to it; a dropped client interrupts the build. */
async function serveOne(conn: Socket, main: (argv: readonly string[]) => Promise<number>): Promise<void> {
  const request = await readRequest(conn);
  if (!request) return;
  let gone = false;
  const send = (kind: 'o' | 'e' | 'x', data: string | Uint8Array) => {
    if (!gone && !conn.destroyed) conn.write(frame(kind, data));
  };
  // The client's Ctrl-C, or the client gone: the build stops as on a signal of its own. The
  // build listens for signals while it runs actions, so the signal is given again until it is
  // taken (a Ctrl-C during the analysis stops the build when it would start running).
  let repeat: NodeJS.Timeout | undefined;
  let finished = false;
  const interrupt = () => {
    if (repeat || finished) return;
    process.emit('SIGINT');
    repeat = setInterval(() => process.emit('SIGINT'), 100);
  };
  conn.on('data', (chunk: Buffer) => {
    if (chunk.includes('"interrupt"')) interrupt();
  });
  conn.on('close', () => {
    gone = true;
    interrupt();
  });
  conn.on('error', () => { gone = true; });
  if (gone || conn.destroyed) return;
  const restore = redirectOutput(send, request.tty);
  const cwd = process.cwd();
  let code: number;
  try {
    process.chdir(request.cwd);
    resetEngineCpu();
    code = await main(request.argv);
  } catch (e) {
    process.stderr.write(`xbuild: ${internalErrorText(e)}\n`);
    code = EXIT_CODE.internal;
  } finally {
    finished = true;
    clearInterval(repeat);
    restore();
    try { process.chdir(cwd); } catch { /* the server's own directory is gone: requests name theirs */ }
  }
  log(`${request.argv.join(' ')} in ${request.cwd}: exit ${code}${gone ? ' (client gone)' : ''}`);
  send('x', String(code));
  conn.end();
}

/** One frame to the client: its kind ('o' stdout, 'e' stderr, 'x' exit code), the length, the bytes. */
function frame(kind: 'o' | 'e' | 'x', data: string | Uint8Array): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

/** The client's request: its first line. */
function readRequest(conn: Socket): Promise<ServerRequest | undefined> {
  return new Promise((ok) => {
    if (conn.destroyed) return ok(undefined); // gone while it waited its turn
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      conn.off('data', onData);
      try {
        const r = JSON.parse(text.slice(0, nl)) as ServerRequest;
        ok(Array.isArray(r.argv) && typeof r.cwd === 'string' ? r : undefined);
      } catch {
        ok(undefined);
      }
      if (nl + 1 < text.length) conn.unshift(Buffer.from(text.slice(nl + 1)));
    };
    conn.on('data', onData);
    conn.on('close', () => ok(undefined));
  });
}

/** Sends what the command writes to stdout and stderr to the client, seen as the client's terminal; returns the undo. */
function redirectOutput(send: (kind: 'o' | 'e', data: string | Uint8Array) => void, tty: ServerRequest['tty']): () => void {
  const streams = [[process.stdout, 'o', tty.stdout], [process.stderr, 'e', tty.stderr]] as const;
  const undo: (() => void)[] = [];
  for (const [stream, kind, isTTY] of streams) {
    const write = stream.write;
    const props = { isTTY: Object.getOwnPropertyDescriptor(stream, 'isTTY'), columns: Object.getOwnPropertyDescriptor(stream, 'columns'), rows: Object.getOwnPropertyDescriptor(stream, 'rows') };
    stream.write = ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
      send(kind, typeof chunk === 'string' ? Buffer.from(chunk, typeof enc === 'string' ? (enc as BufferEncoding) : 'utf8') : chunk);
      const done = typeof enc === 'function' ? enc : cb;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    }) as typeof stream.write;
    Object.defineProperty(stream, 'isTTY', { value: isTTY, configurable: true, writable: true });
    Object.defineProperty(stream, 'columns', { value: tty.columns, configurable: true, writable: true });
    Object.defineProperty(stream, 'rows', { value: tty.rows, configurable: true, writable: true });
    undo.push(() => {
      stream.write = write;
      for (const [name, d] of Object.entries(props)) {
        if (d) Object.defineProperty(stream, name, d);
        else delete (stream as unknown as Record<string, unknown>)[name];
      }
    });
  }
  return () => undo.forEach((u) => u());
}

function inodeOf(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}
