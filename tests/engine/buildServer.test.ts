// The build server (XBUILD_SERVER=1, cli/buildServer.ts): a build with no server runs in its own
// process and starts one; the next builds run in that one, with the same output, exit codes and
// events; a client's Ctrl-C or death interrupts its build there; a server killed mid-build is
// reported and the next build recovers; servers stop when idle or when their socket is gone.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

const SERVER = { XBUILD_SERVER: '1', XBUILD_SERVER_IDLE_S: '60' };
let ws: TempWorkspace;
afterEach(() => {
  for (const pid of ws ? serverPids(ws) : []) if (alive(pid)) process.kill(pid, 'SIGKILL');
  ws?.cleanup();
});

const serverDir = (w: TempWorkspace) => join(w.root, '.xbuild/server');
/** Every line the workspace's servers logged, oldest first (each starts with its ISO time). */
function serverLog(w: TempWorkspace): string[] {
  if (!existsSync(serverDir(w))) return [];
  return readdirSync(serverDir(w)).filter((n) => n.endsWith('.log')).flatMap((n) => readFileSync(join(serverDir(w), n), 'utf8').split('\n').filter(Boolean)).sort();
}
function serverPids(w: TempWorkspace): number[] {
  return serverLog(w).flatMap((l) => /serving .* \(pid (\d+)\)/.exec(l)?.slice(1).map(Number) ?? []);
}
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
async function until(what: string, test: () => boolean, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; !test(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
  }
}
/** Pids of processes whose command line contains `text`. */
function processesWith(text: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', text]).toString().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function workspace(): TempWorkspace {
  return new TempWorkspace({
    'BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", srcs: ["a.txt"], outs: ["a.out"], cmd: "tr a-z A-Z < $< > $@" });
cmd({ name: "slow", outs: ["slow.out"], cmd: "sleep 47.125; echo done > $@" });
cmd({ name: "bad", outs: ["bad.out"], cmd: "echo failing on purpose >&2; exit 3" });
cmd({ name: "pause", outs: ["pause.out"], cmd: "sleep 2.375; echo paused > $@" });
`,
    'a.txt': 'hello\n',
  });
}

/** Builds //:a once (in its own process), then waits for the server that build started. */
async function withServer(w: TempWorkspace): Promise<number> {
  const before = serverPids(w).length;
  const first = await w.run(['build', '//:a'], SERVER);
  expect(first.code, first.stderr).toBe(0);
  await until('the server', () => serverPids(w).length > before);
  return serverPids(w).at(-1)!;
}

describe('build server', () => {
  it('runs the next builds after the first one started it: same output, events, exit codes and diagnostics', async () => {
    ws = workspace();
    const pid = await withServer(ws);
    ws.write({ 'a.txt': 'edited\n' });
    const edited = await ws.run(['build', '//:a'], SERVER);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.executed).toEqual(['//:a']);
    expect(edited.stderr).toMatch(/Build OK in .*: 1 executed/);
    expect(ws.read('xbuild-out/a.out')).toBe('EDITED\n');

    const bad = await ws.run(['build', '//:bad'], SERVER);
    expect(bad.code).toBe(1);
    expect(bad.failed).toEqual(['//:bad']);
    expect(bad.stderr).toContain('failing on purpose');

    ws.write({ 'BUILD.ts': `${ws.read('BUILD.ts')}cmd({ name: "x", outs: [1], cmd: "true" });\n` });
    const wrong = await ws.run(['build', '//:a'], SERVER);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/error\[bad-attribute\][^\n]*\n\s+--> BUILD.ts:6:18\n/);

    // All three ran in the one server, which is still there.
    expect(serverLog(ws).filter((l) => / build \/\/:/.test(l)).map((l) => l.replace(/.* build /, ''))).toEqual([
      expect.stringMatching(/^\/\/:a .*: exit 0$/),
      expect.stringMatching(/^\/\/:bad .*: exit 1$/),
      expect.stringMatching(/^\/\/:a .*: exit 2$/),
    ]);
    expect(alive(pid)).toBe(true);
  });

  it("the client's Ctrl-C interrupts the build in the server, which then serves the next one", async () => {
    ws = workspace();
    await withServer(ws);
    const { proc } = ws.start(['build', '//:slow'], SERVER);
    await until('the command', () => processesWith('sleep 47.125').length > 0);
    proc.kill('SIGINT');
    const r = await proc;
    expect(r.exitCode).toBe(130);
    expect(String(r.stderr)).toMatch(/interrupted/);
    await until('the command to be gone', () => processesWith('sleep 47.125').length === 0, 5_000);
    const next = await ws.run(['build', '//:a'], SERVER);
    expect(next.code, next.stderr).toBe(0);
  });

  it('a client killed with -9 interrupts its build; the workspace is free for the next build at once', async () => {
    ws = workspace();
    await withServer(ws);
    const { proc } = ws.start(['build', '//:slow'], SERVER);
    await until('the command', () => processesWith('sleep 47.125').length > 0);
    proc.kill('SIGKILL');
    await proc;
    await until('the command to be gone', () => processesWith('sleep 47.125').length === 0, 5_000);
    ws.write({ 'a.txt': 'after\n' });
    const started = Date.now();
    const next = await ws.run(['build', '//:a'], SERVER);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).not.toMatch(/another xbuild .* is using this workspace/);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(ws.read('xbuild-out/a.out')).toBe('AFTER\n');
    expect(serverLog(ws).some((l) => /build \/\/:slow .*exit 130 \(client gone\)/.test(l))).toBe(true);
  });

  it('a server killed with -9 mid-build: the client says so, and the next build recovers', async () => {
    ws = workspace();
    const pid = await withServer(ws);
    const { proc } = ws.start(['build', '//:slow'], SERVER);
    await until('the command', () => processesWith('sleep 47.125').length > 0);
    process.kill(pid, 'SIGKILL');
    const r = await proc;
    expect(r.exitCode).toBe(4);
    expect(String(r.stderr)).toMatch(/the build server stopped before the build finished/);
    for (const p of processesWith('sleep 47.125')) process.kill(p, 'SIGKILL');
    ws.write({ 'a.txt': 'recovered\n' });
    const next = await ws.run(['build', '//:a'], SERVER);
    expect(next.code, next.stderr).toBe(0);
    expect(ws.read('xbuild-out/a.out')).toBe('RECOVERED\n');
  });

  it('a second client waits for the build in progress, and says so', async () => {
    ws = workspace();
    await withServer(ws);
    const { proc } = ws.start(['build', '//:pause'], SERVER);
    await until('the command', () => processesWith('sleep 2.375').length > 0);
    ws.write({ 'a.txt': 'second\n' });
    const second = await ws.run(['build', '//:a'], SERVER);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/the build server is running another build; waiting for it to finish/);
    expect((await proc).exitCode).toBe(0);
    expect(ws.read('xbuild-out/pause.out')).toBe('paused\n');
    expect(ws.read('xbuild-out/a.out')).toBe('SECOND\n');
  });

  it('stops when idle, and when its socket is gone', async () => {
    ws = workspace();
    const idle = { ...SERVER, XBUILD_SERVER_IDLE_S: '1' };
    expect((await ws.run(['build', '//:a'], idle)).code).toBe(0);
    await until('the server', () => serverPids(ws).length > 0);
    const [first] = serverPids(ws);
    await until('the idle server to stop', () => !alive(first), 10_000);
    expect(readdirSync(serverDir(ws)).filter((n) => n.endsWith('.sock'))).toEqual([]);

    const pid = await withServer(ws);
    expect(pid).not.toBe(first);
    rmSync(serverDir(ws), { recursive: true, force: true }); // as `rm -rf` of the workspace, or of its .xbuild
    await until('the server without a socket to stop', () => !alive(pid), 10_000);
  });

  it('another environment gets its own server', async () => {
    ws = workspace();
    await withServer(ws);
    ws.write({ 'a.txt': 'other\n' });
    const r = await ws.run(['build', '//:a'], { ...SERVER, SOME_SETTING: 'changed' });
    expect(r.code, r.stderr).toBe(0);
    await until('a second server', () => serverPids(ws).length === 2);
    expect(readdirSync(serverDir(ws)).filter((n) => n.endsWith('.log'))).toHaveLength(2);
  });
});
