// The fixed-output fetch rule against a real HTTP server on 127.0.0.1 started by the test.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { TempWorkspace } from '../helpers/cli.js';

const payload = Buffer.from('pinned payload bytes\n'.repeat(1000));
const sha = createHash('sha256').update(payload).digest('hex');
let server: Server;
let base: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/file.txt') res.end(payload);
    else {
      res.statusCode = 404;
      res.end('no');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const fetchBuild = (digest: string, url = `${base}/file.txt`) => ({
  'BUILD.ts': '',
  'dl/BUILD.ts': `import { fetch, cmd } from "xbuild";
fetch({ name: "file", urls: ["${url}"], sha256: "${digest}" });
cmd({ name: "count", srcs: [":file"], outs: ["lines.txt"], cmd: "wc -l < $< > $@" });`,
});

describe('fetch', () => {
  it('downloads a pinned file once and caches it by its digest', async () => {
    ws = new TempWorkspace(fetchBuild(sha));
    const before = hits;
    const r = await ws.build('//dl:count');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/dl/lines.txt').trim()).toBe('1000');
    expect(hits - before).toBe(1);
    expect((await ws.build('//dl:count')).executed).toEqual([]);
    expect(hits - before).toBe(1);
  });

  it('a wrong SHA-256 fails, names both digests and stores nothing', async () => {
    const wrong = 'a'.repeat(64);
    ws = new TempWorkspace(fetchBuild(wrong));
    const r = await ws.build('//dl:file');
    expect(r.code).toBe(2); // the pin is the user's input (engine/report/blame.ts)
    expect(r.stderr).toContain('//dl:file: [your input] fetch failed');
    expect(r.stderr).toContain(`SHA-256 mismatch: expected ${wrong}, got ${sha}`);
    expect(existsSync(join(ws.cacheDir, 'cas', sha.slice(0, 2), sha))).toBe(false);
    expect(ws.exists('xbuild-out/dl/file.txt')).toBe(false);
    const before = hits;
    const again = await ws.build('//dl:file');
    expect(again.code).toBe(2);
    expect(hits - before).toBe(1); // nothing was cached: it tried again
  });

  it('a malformed digest is a BUILD error naming the target', async () => {
    ws = new TempWorkspace(fetchBuild('xyz'));
    const r = await ws.build('//dl:file');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('//dl:file (rule fetch): fetch: sha256 must be 64 lowercase hex characters, got "xyz"');
  });

  it('other actions have no network', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'dl/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "sneaky", outs: ["o.txt"], tools: ["/usr/bin/curl"], cmd: "curl -sS --max-time 5 ${base}/file.txt > $@" });`,
    });
    // curl comes with scripts/setup-tests.sh. Root or not, every action has its own empty network
    // namespace (bwrap --unshare-net, engine/execute/isolation.ts), so this runs for any user.
    expect(existsSync('/usr/bin/curl'), '/usr/bin/curl is missing: run scripts/setup-tests.sh').toBe(true);
    const r = await ws.build('//dl:sneaky');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/curl: \(7\)|Couldn't connect|Failed to connect/);
  });
});
