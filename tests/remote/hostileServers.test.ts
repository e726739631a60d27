/**
 * Remote caches that misbehave on purpose, as real servers started by the test (Node http and
 * net servers on loopback): one that drips a byte every 2 s, one that sends an endless chunked
 * body for a blob named by a genuinely signed entry, one that accepts connections and never
 * answers. The client must give up within its deadlines, cap bodies at the size the entry
 * names, not queue behind hung requests, and a build must stop at once on SIGINT.
 */
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { RemoteCache } from '../../cache/remote/remoteCache.js';
import { encodeRemoteEntry, makeRemoteEntry } from '../../cache/remote/remoteEntry.js';
import { KeyPair, TrustedKeys, generateKey } from '../../cache/signing.js';
import type { Sha256 } from '../../cache/digest.js';
import { cleanupTemp, newStore, randomKey, tempLeftovers } from './fixtures.js';
import { TempWorkspace, toResult } from '../helpers/cli.js';

function keyPair(name: string): KeyPair {
  const p = KeyPair.parse(generateKey(name).secretText);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}
const server1 = keyPair('buildserver-1');
const trusted = new TrustedKeys([server1.publicKey]);

const closers: (() => Promise<void>)[] = [];
const caches: RemoteCache[] = [];
afterEach(async () => {
  for (const c of caches.splice(0)) c.close();
  for (const close of closers.splice(0)) await close();
});
afterAll(() => cleanupTemp());

/** An http server on a free loopback port; closed (with its connections) after the test. */
async function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createHttpServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cache/`, server };
}

/** Answers 200 to everything and then sends one byte every `everyMs`, never finishing. */
async function dripServer(everyMs = 2000): Promise<string> {
  const timers: NodeJS.Timeout[] = [];
  closers.push(async () => timers.forEach(clearInterval));
  const { url } = await httpServer((_req, res) => {
    res.writeHead(200, { 'Content-Length': '1000000' });
    res.write('{');
    const t = setInterval(() => res.write(' '), everyMs);
    timers.push(t);
    res.on('close', () => clearInterval(t));
  });
  return url;
}

function remote(url: string, extra: Partial<ConstructorParameters<typeof RemoteCache>[0]> = {}): RemoteCache {
  const c = new RemoteCache({ url, store: newStore('hostile'), retryBaseDelayMs: 10, ...extra });
  caches.push(c);
  return c;
}

describe('a server that drips a byte every 2 s', () => {
  test('a lookup ends at its deadline (the idle timeout never fires), and the remote is disabled', async () => {
    const url = await dripServer();
    const rc = remote(url, { deadlineMs: 1500 });
    const t0 = Date.now();
    const r = await rc.lookup(randomKey(), trusted);
    const elapsed = Date.now() - t0;
    expect(r).toMatchObject({ status: 'miss', reason: 'remote-error' });
    expect(r.status === 'miss' && r.detail).toContain('did not finish within its deadline');
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(4000);
    expect(rc.stats().disabled).toBe(true);
  }, 20_000);
});

describe('an endless chunked body behind a genuinely signed entry', () => {
  test('the download stops at the size the entry names: blob-corrupt, a few KiB read, nothing left on disk', async () => {
    const blob = Buffer.alloc(76, 'x');
    const digest = { hash: createHash('sha256').update(blob).digest('hex') as Sha256, sizeBytes: blob.length };
    const key = randomKey();
    const entry = encodeRemoteEntry(makeRemoteEntry(key, { outputs: [{ path: 'out/x.bin', kind: 'file', digest, executable: false }], exitCode: 0, durationMs: 1 }, [server1]));
    let sent = 0;
    const LIMIT = 64 << 20; // what an unbounded client would take before this server gives up
    const { url } = await httpServer((req, res) => {
      if (req.url?.includes('/ac/')) {
        res.writeHead(200, { 'Content-Length': String(entry.length) });
        res.end(entry);
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); // chunked: no length
      const chunk = Buffer.alloc(64 << 10, 'y');
      const pump = () => {
        while (sent < LIMIT) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => res.removeAllListeners('drain'));
      pump();
    });
    const store = newStore('endless');
    const rc = new RemoteCache({ url, store, retryBaseDelayMs: 10 });
    caches.push(rc);
    const r = await rc.lookup(key, trusted);
    expect(r).toMatchObject({ status: 'miss', reason: 'blob-corrupt' });
    expect(r.status === 'miss' && r.detail).toContain('more than the 76 bytes');
    expect(sent).toBeLessThan(8 << 20); // socket buffers, not the body
    expect(store.has(digest.hash)).toBe(false);
    expect(tempLeftovers(store)).toEqual([]);
  }, 30_000);
});

describe('a server that accepts connections and never answers', () => {
  test('requests queued behind hung ones end with them: one timeout in all, not one per round', async () => {
    const sockets = new Set<Socket>();
    const server = createNetServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cache/`;
    const rc = remote(url, { maxSockets: 2, idleTimeoutMs: 1000, connectTimeoutMs: 1000 });
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => rc.lookup(randomKey(), trusted)));
    const elapsed = Date.now() - t0;
    expect(results.every((r) => r.status === 'miss' && r.reason === 'remote-error')).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(2500);
  }, 20_000);
});

describe('a build against a dripping server', () => {
  const workspace = () => {
    const ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", outs: ["a.out"], cmd: "echo a > $@" });
cmd({ name: "b", srcs: [":a"], outs: ["b.out"], cmd: "cat $< $< > $@" });
`,
    });
    closers.push(async () => ws.cleanup());
    return ws;
  };

  test('with --remote-timeout=2 it falls back to building locally within the deadline', async () => {
    const url = await dripServer();
    const ws = workspace();
    const t0 = Date.now();
    const r = await ws.build('//p:b', `--remote-cache=${url}`, `--trusted-key=${server1.publicText}`, '--remote-timeout=2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.executed).toEqual(['//p:a', '//p:b']);
    expect(r.stderr).toMatch(/remote cache .* disabled for the rest of this build/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(ws.read('xbuild-out/p/b.out')).toBe('a\na\n');
  }, 60_000);

  test('SIGINT during the stalled lookups ends the build at once (exit 130)', async () => {
    const url = await dripServer();
    const ws = workspace();
    const { proc, eventsFile } = ws.start(['build', '//p:b', `--remote-cache=${url}`, `--trusted-key=${server1.publicText}`]);
    // Analysis done and the lookups stalled: the stderr line that says analysis finished.
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 600 && !/Analysed/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    proc.kill('SIGINT');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    const done = await proc;
    clearTimeout(killer);
    const elapsed = Date.now() - t0;
    const r = toResult(done.exitCode ?? -1, String(done.stdout), String(done.stderr), eventsFile);
    expect(r.code, r.stderr).toBe(130);
    expect(elapsed).toBeLessThan(3000);
  }, 60_000);
});
