// xbuild serve over HTTP: what it shows of a real build, and what it refuses to serve
// (path traversal in every spelling, symlinks out of the log folder, foreign Host headers,
// the token on a non-loopback address).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';
import { rawGet, startServe, type Served } from '../helpers/serve.js';

const SECRET = 'secret-outside-the-build-records-7f3a';
let ws: TempWorkspace;
let served: Served;
let buildId: string;

beforeAll(async () => {
  ws = new TempWorkspace({
    'BUILD.ts': '',
    'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "ok", outs: ["ok.out"], cmd: "echo ok-log-line; echo ok > $@" });
cmd({ name: "bad", outs: ["bad.out"], cmd: "echo bad-log-line; exit 4" });
`,
    'p/secret.txt': `${SECRET}\n`,
  });
  writeFileSync(join(dirname(ws.root), 'secret.txt'), `${SECRET}\n`);
  const r = await ws.build('//p:all', '-k');
  expect(r.code).toBe(1);
  buildId = readdirSync(join(ws.root, '.xbuild/builds')).find((n) => n !== 'latest')!;
  served = await startServe(ws);
});
afterAll(async () => {
  await served?.stop();
  ws?.cleanup();
});

describe('xbuild serve', () => {
  it('shows the finished build: counts, the failure with its log tail, every action, the log by name', async () => {
    const r = await rawGet(served.port, '/api/builds/latest');
    expect(r.status).toBe(200);
    const snap = JSON.parse(r.body);
    expect(snap.summary).toMatchObject({ id: buildId, phase: 'failed', total: 2, done: 2, executed: 1, failed: 1, patterns: ['//p:all'] });
    expect(snap.summary.failures).toEqual([expect.objectContaining({ label: '//p:bad', error: 'exited with code 4', logTail: 'bad-log-line', log: 'p__bad.0.Cmd.log' })]);
    expect(snap.rows.map((w: unknown[]) => `${w[0]} ${w[2]}`).sort()).toEqual(['//p:bad#0 failed', '//p:ok#0 executed']);
    const log = await rawGet(served.port, `/logs/${buildId}/p__bad.0.Cmd.log`);
    expect(log.status).toBe(200);
    expect(log.body).toContain('bad-log-line');
    expect((await rawGet(served.port, `/logs/${buildId}/p__ok.0.Cmd.log`)).body).toContain('ok-log-line');
    expect((await rawGet(served.port, '/')).body).toContain('static/dashboard.js');
    expect(JSON.parse((await rawGet(served.port, '/api/builds')).body)).toEqual([expect.objectContaining({ id: buildId })]);
  });

  it('serves nothing outside the build records and logs: traversal, encodings, absolute paths', async () => {
    const attempts = [
      `/logs/${buildId}/../../p/secret.txt`,
      `/logs/${buildId}/..%2f..%2fp%2fsecret.txt`,
      `/logs/${buildId}/%2e%2e%2f%2e%2e%2fp%2fsecret.txt`,
      `/logs/${buildId}/%2E%2E/%2E%2E/p/secret.txt`,
      `/logs/${buildId}/..%5c..%5cp%5csecret.txt`,
      `/logs/${buildId}/%2fetc%2fpasswd`,
      `/logs/${buildId}//etc/passwd`,
      `/logs/${buildId}/${encodeURIComponent(join(dirname(ws.root), 'secret.txt'))}`,
      `/logs/..%2f..%2fp/secret.txt`,
      `/logs/%2e%2e/p__bad.0.Cmd.log`,
      `/logs/latest/..%2fsecret.txt`,
      '/static/..%2f..%2fpackage.json',
      '/static/../../package.json',
      '/../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/api/builds/..%2f..%2flogs',
      `/api/builds/${buildId}%2f..%2f..`,
      `/logs/${buildId}/p__bad.0.Cmd.log%00.txt`,
      'http://127.0.0.1/etc/passwd',
      '/etc/passwd',
    ];
    for (const path of attempts) {
      const r = await rawGet(served.port, path);
      expect([400, 403, 404], path).toContain(r.status);
      expect(r.body, path).not.toContain(SECRET);
      expect(r.body, path).not.toContain('root:x:0:0');
    }
    // A log name that is valid for the build but not a real log is still 404, not an error.
    expect((await rawGet(served.port, `/logs/${buildId}/p__nothing.0.Cmd.log`)).status).toBe(404);
    expect((await rawGet(served.port, '/api/builds/latest', {}, 'POST')).status).toBe(405);
  });

  it('does not follow a symlink out of the log folder, even under a valid log name', async () => {
    const log = join(ws.root, '.xbuild/logs/p__ok.0.Cmd.log');
    rmSync(log);
    symlinkSync(join(dirname(ws.root), 'secret.txt'), log);
    const r = await rawGet(served.port, `/logs/${buildId}/p__ok.0.Cmd.log`);
    expect(r.status).toBe(403);
    expect(r.body).not.toContain(SECRET);
    // The log folder itself replaced by a symlink to elsewhere: refused as well.
    const logs = join(ws.root, '.xbuild/logs');
    const elsewhere = join(dirname(ws.root), 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    writeFileSync(join(elsewhere, 'p__bad.0.Cmd.log'), `${SECRET}\n`);
    rmSync(logs, { recursive: true });
    symlinkSync(elsewhere, logs);
    const r2 = await rawGet(served.port, `/logs/${buildId}/p__bad.0.Cmd.log`);
    expect(r2.status).toBe(403);
    expect(r2.body).not.toContain(SECRET);
  });

  it('on the loopback, refuses requests naming another host (DNS rebinding)', async () => {
    expect((await rawGet(served.port, '/api/builds/latest', { Host: 'attacker.example:80' })).status).toBe(403);
    expect((await rawGet(served.port, '/api/builds/latest', { Host: `localhost:${served.port}` })).status).toBe(200);
  });

  it('another address needs a token: made and printed when not given; missing 401, wrong 403', async () => {
    const open = await startServe(ws, ['--bind', '0.0.0.0']);
    try {
      const token = new URL(open.url).searchParams.get('token');
      expect(token).toMatch(/^[\w-]{24,}$/);
      for (const path of ['/', '/api/builds/latest', '/static/dashboard.js', `/logs/${buildId}/p__bad.0.Cmd.log`]) {
        expect((await rawGet(open.port, path)).status, path).toBe(401);
        expect((await rawGet(open.port, `${path}${path.includes('?') ? '&' : '?'}token=wrong-token-of-some-length`)).status, path).toBe(403);
        expect((await rawGet(open.port, path, { Authorization: 'Bearer wrong-token-of-some-length' })).status, path).toBe(403);
      }
      expect((await rawGet(open.port, `/api/builds/latest?token=${token}`)).status).toBe(200);
      expect((await rawGet(open.port, '/api/builds/latest', { Authorization: `Bearer ${token}` })).status).toBe(200);
      // The page asks for its scripts with the token it was opened with.
      expect((await rawGet(open.port, `/?token=${token}`)).body).toContain(`static/dashboard.js?token=${token}`);
    } finally {
      await open.stop();
    }
    const given = await startServe(ws, ['--bind', '0.0.0.0', '--token', 'a-token-chosen-by-the-user']);
    try {
      expect(given.url).toContain('token=a-token-chosen-by-the-user');
      expect((await rawGet(given.port, '/api/builds/latest')).status).toBe(401);
      expect((await rawGet(given.port, '/api/builds/latest?token=a-token-chosen-by-the-user')).status).toBe(200);
    } finally {
      await given.stop();
    }
    const short = await ws.run(['serve', '--port', '0', '--bind', '0.0.0.0', '--token', 'short']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('--token must be at least 16 characters');
  });
});
