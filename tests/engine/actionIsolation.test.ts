// Actions are untrusted build scripts: each attack a compromised package could try from its
// action, through the real CLI. What an action can see and do is engine/execute/isolation.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { execaSync, execa } from 'execa';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const tag = `5${Math.floor(Math.random() * 9000 + 1000)}`;
const sleeps = (which: string) => execaSync('pgrep', ['-f', `^sleep ${tag}\\.${which}`], { reject: false }).stdout.split('\n').filter(Boolean);
const until = async (what: () => boolean, ms = 20_000) => {
  for (const end = Date.now() + ms; !what(); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() > end) throw new Error('timed out');
  }
};

/** Every blob of the cache whose bytes no longer hash to its name. */
function corruptBlobs(cacheDir: string): string[] {
  const cas = join(cacheDir, 'cas');
  const bad: string[] = [];
  for (const shard of readdirSync(cas)) {
    for (const name of readdirSync(join(cas, shard))) {
      if (createHash('sha256').update(readFileSync(join(cas, shard, name))).digest('hex') !== name) bad.push(name);
    }
  }
  return bad;
}

/** A fake HOME with a signing key where xbuild keeps its config. */
function fakeHome(w: TempWorkspace): { home: string; key: string } {
  const home = join(dirname(w.root), 'home');
  const key = join(home, '.config/xbuild/buildserver-1.secret');
  mkdirSync(dirname(key), { recursive: true });
  writeFileSync(key, 'buildserver-1:SECRETKEYMATERIAL\n', { mode: 0o600 });
  return { home, key };
}

describe('what an action can read', () => {
  it('sees neither the host\'s secrets, nor the workspace, the cache, the keys or other sandboxes', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/in.txt': 'declared\n', 'p/secret.txt': 'undeclared workspace file\n' });
    const { home, key } = fakeHome(ws);
    // A first build fills the cache (cache.db, blobs, sandboxes) before the probing one runs.
    ws.write({ 'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "warm", outs: ["warm.txt"], cmd: "echo warm > $@" });\n' });
    expect((await ws.build('//p:warm')).code).toBe(0);
    const probe = (what: string, path: string) => `if cat ${path} > /dev/null 2>&1 || ls ${path} > /dev/null 2>&1; then echo "${what}: READ"; else echo "${what}: hidden"; fi >> $@`;
    ws.write({
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "probe", srcs: ["in.txt"], outs: ["probe.txt"], cmd: [
  "cat $< > $@",
  ${JSON.stringify(probe('workspace file', join(ws.root, 'p/secret.txt')))},
  ${JSON.stringify(probe('workspace dir', ws.root))},
  ${JSON.stringify(probe('cache.db', join(ws.cacheDir, 'cache.db')))},
  ${JSON.stringify(probe('blobs', join(ws.cacheDir, 'cas')))},
  ${JSON.stringify(probe('sandboxes', join(ws.cacheDir, 'sandbox')))},
  ${JSON.stringify(probe('signing key', key))},
  ${JSON.stringify(probe('home', home))},
  "grep -c . /etc/shadow >> $@ 2>&1 || echo 'shadow: hidden' >> $@",
  "cut -d: -f1 /etc/passwd | sort | tr '\\\\n' ' ' >> $@",
].join("; ") });
`,
    });
    const r = await ws.run(['build', '//p:probe'], { HOME: home });
    expect(r.code, r.stderr).toBe(0);
    const seen = ws.read('xbuild-out/p/probe.txt');
    expect(seen).toContain('declared'); // its declared input is there
    for (const what of ['workspace file', 'workspace dir', 'cache.db', 'blobs', 'sandboxes', 'signing key', 'home']) {
      expect(seen).toContain(`${what}: hidden`);
    }
    expect(seen).toMatch(/^0$|shadow: hidden/m); // /etc/shadow reads as empty
    expect(seen).toContain('nobody root xbuild'); // no host account names
    expect(seen).not.toContain('SECRETKEYMATERIAL');
  });

  it('an undeclared read by absolute path fails (the file is not there) instead of poisoning the cache', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/dep.txt': 'v1\n' });
    ws.write({ 'p/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "sneaky", outs: ["out.txt"], cmd: "cat ${join(ws.root, 'p/dep.txt')} > $@" });\n` });
    const r = await ws.build('//p:sneaky');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No such file or directory');
    expect(ws.exists('xbuild-out/p/out.txt')).toBe(false);
  });

  // xbuild reads the outputs on the host: a link the command leaves in their path would make it
  // store a host file the command cannot see. Either a directory of the output's path or the
  // exec root itself, replaced by a link to a host directory holding a file at the output's path.
  for (const [what, script] of [
    ['its output directory', 'rm -rf xbuild-out/p && ln -s HOST/xbuild-out/p xbuild-out/p'],
    ['the exec root', 'cd .. && mv execroot old && ln -s HOST execroot'],
  ] as const) {
    it(`cannot have a host file stored as its output through a link in place of ${what}`, async () => {
      ws = new TempWorkspace({ 'BUILD.ts': '' });
      const host = join(dirname(ws.root), 'host-dir');
      mkdirSync(join(host, 'xbuild-out/p'), { recursive: true });
      writeFileSync(join(host, 'xbuild-out/p/out.txt'), 'HOSTSECRET\n');
      ws.write({ 'p/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "linked", outs: ["out.txt"], cmd: ${JSON.stringify(script.replace('HOST', host))} });\n` });
      const r = await ws.build('//p:linked');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('declared output xbuild-out/p/out.txt is reached through a symbolic link');
      expect(ws.exists('xbuild-out/p/out.txt')).toBe(false);
      for (const shard of readdirSync(join(ws.cacheDir, 'cas'))) {
        for (const name of readdirSync(join(ws.cacheDir, 'cas', shard))) expect(readFileSync(join(ws.cacheDir, 'cas', shard, name), 'utf8')).not.toContain('HOSTSECRET');
      }
    });
  }
});

describe('what an action can write', () => {
  it('cannot write the workspace sources, xbuild-out, the blobs, cache.db or the host\'s /tmp', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/src.txt': 'original\n' });
    const hostTmp = `/tmp/xbuild-attack-${randomBytes(4).toString('hex')}`;
    ws.write({ 'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "first", srcs: ["src.txt"], outs: ["first.txt"], cmd: "cp $< $@" });\n' });
    expect((await ws.build('//p:first')).code).toBe(0);
    const db = join(ws.cacheDir, 'cache.db');
    const dbBefore = readFileSync(db);
    const casBefore = readdirSync(join(ws.cacheDir, 'cas')).sort();
    const targets = [join(ws.root, 'p/src.txt'), join(ws.root, 'xbuild-out/p/first.txt'), db, join(ws.cacheDir, 'cas/00/planted'), join(ws.root, 'xbuild-out/p/planted.txt')];
    ws.write({
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "first", srcs: ["src.txt"], outs: ["first.txt"], cmd: "cp $< $@" });
cmd({ name: "vandal", outs: ["vandal.txt"], cmd: ${JSON.stringify([
  // POI''SON: the word is in no command line the cache stores, only in what the command writes.
  ...targets.map((t) => `(mkdir -p ${dirname(t)} && echo POI''SON >> ${t}) 2>/dev/null || true`),
  `echo POI''SON > ${hostTmp} || true`,
  'echo done > $@',
].join('; '))} });
`,
    });
    const r = await ws.build('//p:vandal');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('p/src.txt')).toBe('original\n');
    expect(ws.read('xbuild-out/p/first.txt')).toBe('original\n');
    expect(ws.exists('xbuild-out/p/planted.txt')).toBe(false);
    expect(existsSync(join(ws.cacheDir, 'cas/00/planted'))).toBe(false);
    expect(readdirSync(join(ws.cacheDir, 'cas')).sort()).toEqual(expect.arrayContaining(casBefore));
    expect(readFileSync(db).includes('POISON')).toBe(false);
    expect(dbBefore.length).toBeGreaterThan(0);
    expect(existsSync(hostTmp)).toBe(false);
  });

  it('a same-size write to a hard-linked input, mtime restored, cannot reach the blob', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    ws.write({
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "lib", outs: ["lib.txt"], cmd: "echo genuine-library > $@" });
cmd({ name: "attacker", srcs: [":lib"], outs: ["a.txt"], cmd: "cp -p $< $TMPDIR/ref; chmod u+w $< 2>/dev/null || true; printf EVIL | dd of=$< bs=1 count=4 conv=notrunc 2>/dev/null || true; touch -r $TMPDIR/ref $< 2>/dev/null || true; echo done > $@" });
cmd({ name: "victim", srcs: [":lib", ":attacker"], outs: ["v.txt"], cmd: "cp xbuild-out/p/lib.txt $@" });
`,
    });
    const r = await ws.build('//p:victim', '-j', '1');
    // Either the write is refused (the blob is not the sandbox uid's) or it is detected.
    if (r.code !== 0) expect(r.stderr).toMatch(/wrote to its input xbuild-out\/p\/lib\.txt/);
    else expect(ws.read('xbuild-out/p/v.txt')).toBe('genuine-library\n');
    expect(corruptBlobs(ws.cacheDir)).toEqual([]);
    expect((await ws.run(['clean'])).code).toBe(0);
    expect((await ws.build('//p:lib')).code).toBe(0);
    expect(ws.read('xbuild-out/p/lib.txt')).toBe('genuine-library\n');
  });
});

describe('what an action can reach', () => {
  it('cannot enter another network namespace (nsenter --net of a process outside)', async () => {
    const outside = execa('sleep', [`${tag}.9`], { reject: false });
    try {
      await until(() => sleeps('9').length === 1);
      const pid = sleeps('9')[0];
      ws = new TempWorkspace({
        'BUILD.ts': '',
        'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "escape", outs: ["net.txt"], tools: ["/usr/bin/nsenter"], cmd: "if nsenter --net=/proc/${pid}/ns/net true 2>/dev/null; then echo ESCAPED; else echo contained; fi > $@; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' >> $@" });
`,
      });
      const r = await ws.build('//p:escape');
      expect(r.code, r.stderr).toBe(0);
      expect(ws.read('xbuild-out/p/net.txt')).toBe('contained\nlo\n');
    } finally {
      outside.kill('SIGKILL');
      await outside;
    }
  });

  it('a process an action leaves running (setsid) is dead before the next action starts', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    ws.write({
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "leaver", outs: ["l.txt"], cmd: "setsid sleep ${tag}.1 < /dev/null > /dev/null 2>&1 & echo left > $@" });
cmd({ name: "next", srcs: [":leaver"], outs: ["n.txt"], cmd: "echo run >> ${ws.counter('next')}; sleep 1; cp $< $@" });
`,
    });
    const { proc } = ws.start(['build', '//p:next', '-j', '1']);
    // next's command marks its start itself (--events is written in batches, too late to watch).
    await until(() => ws.count('next') === 1 || proc.exitCode !== null);
    const alive = sleeps('1');
    expect(proc.exitCode, 'the build ended before next started').toBe(null);
    const r = await proc;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(alive).toEqual([]);
    expect(sleeps('1')).toEqual([]);
  });

  it('when xbuild is killed (SIGKILL), what its actions started in a new session dies too', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "w", outs: ["w.txt"], cmd: "setsid sleep ${tag}.2 < /dev/null > /dev/null 2>&1 & sleep ${tag}.3; echo > $@" });
cmd({ name: "d", outs: ["d.txt"], cpu: 2, cmd: "setsid sleep ${tag}.4 < /dev/null > /dev/null 2>&1 & sleep ${tag}.5; echo > $@" });
`,
    });
    const { proc } = ws.start(['build', '//p:all', '-j', '4']);
    await until(() => sleeps('[2345]').length === 4);
    proc.kill('SIGKILL');
    const r = await proc;
    expect(r.signal, 'xbuild had ended before the kill').toBe('SIGKILL');
    await until(() => sleeps('[2345]').length === 0, 3000);
  });
});

describe('an action that unpacks a root filesystem (uidRange)', () => {
  it('is root of its own user namespace only: chowns to many uids and mounts a proc, and sees nothing of the host', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    ws.write({
      'p/BUILD.ts': `import { defineRule } from "xbuild";
const rooty = defineRule({ name: "rooty", attrs: {}, impl(ctx) {
  const out = ctx.actions.declareFile("r.txt");
  ctx.actions.run({ argv: ["/bin/bash", "-c", [
    "awk '{print $2, $3}' /proc/self/uid_map > $0",
    "touch f && chown 1000:1000 f && stat -c %u f >> $0",
    "mkdir -p r/proc && unshare --mount --pid --fork -- bash -c 'mount -t proc proc r/proc && echo proc-mounted' >> $0 2>&1",
    ${JSON.stringify(`test -e ${join('CACHE', 'cache.db')} && echo CACHE-VISIBLE >> $0; test -e WS && echo WORKSPACE-VISIBLE >> $0; true`)},
  ].join("; "), out.path], outputs: [out], uidRange: true, tools: ["/usr/bin/unshare"] });
  return { files: [out] };
}});
rooty({ name: "r" });
`.replace('CACHE', ws.cacheDir).replace('WS', ws.root),
    });
    const r = await ws.build('//p:r');
    expect(r.code, r.stderr).toBe(0);
    const [map, owner, ...rest] = ws.read('xbuild-out/p/r.txt').trim().split('\n');
    const [outside, count] = map.split(' ').map(Number);
    expect(outside).toBeGreaterThan(0); // root inside is an unprivileged uid outside
    expect(count).toBe(65536);
    expect(owner).toBe('1000');
    expect(rest).toEqual(['proc-mounted']);
  });
});

describe('the sandbox uid', () => {
  it('is not root, and what the action makes (outputs, log, blobs) becomes xbuild\'s', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "o", outs: ["o.txt"], cmd: "id -u > $@; echo logged" });\n',
    });
    expect((await ws.build('//p:o')).code).toBe(0);
    const me = process.getuid!();
    expect(Number(ws.read('xbuild-out/p/o.txt'))).not.toBe(0);
    expect(statSync(join(ws.root, 'xbuild-out/p/o.txt')).uid).toBe(me);
    const logs = readdirSync(join(ws.root, '.xbuild/logs'));
    expect(logs).toEqual(['p__o.0.Cmd.log']);
    expect(readFileSync(join(ws.root, '.xbuild/logs', logs[0]), 'utf8')).toBe('logged\n');
    expect(statSync(join(ws.root, '.xbuild/logs', logs[0])).uid).toBe(me);
    for (const shard of readdirSync(join(ws.cacheDir, 'cas'))) {
      for (const b of readdirSync(join(ws.cacheDir, 'cas', shard))) {
        const st = statSync(join(ws.cacheDir, 'cas', shard, b));
        expect([st.uid, st.mode & 0o222]).toEqual([me, 0]);
      }
    }
  });
});
