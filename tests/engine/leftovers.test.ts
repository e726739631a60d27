// What killed or finished processes leave behind: temp files in the cache, temp files and
// parked directories in xbuild-out/, outputs of deleted targets, a workspace lock held by a
// zombie; and cache directories that cannot be one.
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace, XBUILD } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `<pid>@<boot id>:<start ticks>` of a process, read from /proc while it runs. */
function identityOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return `${pid}@${boot}:${start}`;
}

/** The identity of a process that has exited (and been reaped). */
async function deadIdentity(): Promise<string> {
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  const id = identityOf(child.pid!);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  return id;
}

const simple = () => new TempWorkspace({
  'BUILD.ts': '',
  'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", outs: ["a.out"], cmd: "echo a > $@" });
cmd({ name: "b", srcs: [":a"], outs: ["b.out"], cmd: "cat $< $< > $@" });
`,
});

describe('leftovers', () => {
  it('temp files of dead processes in the cache go at the next build; a live process keeps its own', async () => {
    ws = simple();
    expect((await ws.build('//p:b')).code).toBe(0);
    const tmp = join(ws.cacheDir, 'tmp');
    const dead = `${await deadIdentity()}-0123456789ab-1`;
    const live = `${identityOf(process.pid)}-0123456789ab-1`;
    writeFileSync(join(tmp, dead), 'partial blob of a killed build');
    mkdirSync(join(tmp, `${await deadIdentity()}-ba9876543210-7`)); // a killed import's staging dir
    writeFileSync(join(tmp, live), 'a download in progress');
    ws.write({ 'p/BUILD.ts': ws.read('p/BUILD.ts').replace('echo a', 'echo A') });
    expect((await ws.build('//p:b')).code).toBe(0);
    expect(readdirSync(tmp)).toEqual([live]);
  });

  it('after a killed build, its temp files and parked directories in xbuild-out go; declared outputs stay', async () => {
    ws = simple();
    expect((await ws.build('//p:b')).code).toBe(0);
    // What a build killed while replacing outputs leaves, and the lock it held.
    writeFileSync(join(ws.root, 'xbuild-out/p/a.out.tmp-0a1b2c3d'), 'half a copy');
    mkdirSync(join(ws.root, 'xbuild-out/p/tree.old-89abcdef/sub'), { recursive: true });
    writeFileSync(join(ws.root, '.xbuild/lock'), await deadIdentity());
    const r = await ws.build('//p:b');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(join(ws.root, 'xbuild-out/p')).sort()).toEqual(['a.out', 'b.out']);
    expect(r.stderr).toMatch(/removed 2 leftovers no target declares/);
    expect(ws.read('xbuild-out/p/b.out')).toBe('a\na\n');
  });

  it('a build of //... removes the outputs of deleted targets; clean --stale does it for any build', async () => {
    ws = simple();
    ws.write({ 'q/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "old", outs: ["old.out", "sub/deep.out"], cmd: "echo o > $(RULEDIR)/old.out; echo d > $(RULEDIR)/sub/deep.out" });\n' });
    expect((await ws.build('//...')).code).toBe(0);
    expect(ws.exists('xbuild-out/q/sub/deep.out')).toBe(true);
    ws.write({ 'q/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "new", outs: ["new.out"], cmd: "echo n > $@" });\n' });
    const r = await ws.build('//...');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/removed 2 stale outputs no target declares: xbuild-out\/q\/old\.out, xbuild-out\/q\/sub/);
    expect(readdirSync(join(ws.root, 'xbuild-out/q'))).toEqual(['new.out']);
    expect(ws.exists('xbuild-out/p/b.out')).toBe(true);

    // A build of one target leaves others' outputs alone; clean --stale removes only the stale.
    ws.write({ 'q/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "newer", outs: ["newer.out"], cmd: "echo n > $@" });\n' });
    expect((await ws.build('//q:newer')).code).toBe(0);
    expect(ws.exists('xbuild-out/q/new.out')).toBe(true);
    const c = await ws.run(['clean', '--stale']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toContain('removed xbuild-out/q/new.out');
    expect(readdirSync(join(ws.root, 'xbuild-out/q'))).toEqual(['newer.out']);
    expect(readdirSync(join(ws.root, 'xbuild-out/p')).sort()).toEqual(['a.out', 'b.out']);
  });

  it('a workspace lock held by a zombie (killed, never reaped) is taken over at once', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "slow", outs: ["slow.out"], cmd: "sleep 60; echo > $@" });
cmd({ name: "quick", outs: ["quick.out"], cmd: "echo q > $@" });
`,
    });
    // xbuild runs in the background of a shell that then becomes \`sleep\`, which never reaps it.
    const pidFile = join(ws.scratch, 'xbuild.pid');
    const parent = execa('sh', ['-c', `node ${XBUILD} build //p:slow > /dev/null 2>&1 & echo $! > ${pidFile}; exec sleep 120`], {
      cwd: ws.root, env: { XBUILD_CACHE_DIR: ws.cacheDir, CI: '1' }, reject: false,
    });
    try {
      const lock = join(ws.root, '.xbuild/lock');
      for (let i = 0; i < 600 && !(existsSync(pidFile) && existsSync(lock)); i++) await sleep(50);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      expect(readFileSync(lock, 'utf8')).toMatch(new RegExp(`^${pid}\\b`));
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 100 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1')); i++) await sleep(50);
      expect(readFileSync(`/proc/${pid}/stat`, 'latin1')).toMatch(/\) Z /);

      const t0 = Date.now();
      const { proc } = ws.start(['build', '//p:quick']);
      const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
      const r = await proc;
      clearTimeout(killer);
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).not.toContain('waiting for it to finish');
      expect(Date.now() - t0).toBeLessThan(25_000);
    } finally {
      parent.kill('SIGKILL');
      await parent;
    }
  }, 60_000);

  it('--cache-dir "" and a cache path that is not a directory are usage errors (exit 2), and nothing is removed', async () => {
    ws = simple();
    expect((await ws.build('//p:b')).code).toBe(0);
    const empty = await ws.run(['clean', '--all', '--cache-dir', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--cache-dir needs a directory');
    expect(existsSync(join(ws.cacheDir, 'cache.db'))).toBe(true);
    const notDir = await ws.build('//p:b', '--cache-dir', '/etc/hostname');
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toContain('xbuild: --cache-dir /etc/hostname is not a directory');
    expect(notDir.stderr).not.toContain('    at ');
    const below = await ws.build('//p:b', '--cache-dir', '/etc/hostname/cache');
    expect(below.code).toBe(2);
    expect(below.stderr).not.toContain('    at ');
  });
});
