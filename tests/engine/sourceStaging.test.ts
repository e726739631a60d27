// Source files staged into sandboxes as hard links to read-only copies in the cache
// (engine/execute/sourceCopies.ts): what the command sees is what a copy gave it (bytes, mtime,
// executable bit), a command cannot change the copy others are linked to, and `cache gc` removes
// the copies no sandbox links.
import { afterEach, describe, expect, it } from 'vitest';
import { linkSync, lstatSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

/** Every source copy in the cache: its path, link count, and whether its bytes hash to its name. */
function sourceCopies(cacheDir: string): { path: string; links: number; intact: boolean }[] {
  const top = join(cacheDir, 'sources');
  const out: { path: string; links: number; intact: boolean }[] = [];
  for (const sub of readdirSync(top)) {
    for (const name of readdirSync(join(top, sub))) {
      const p = join(top, sub, name);
      const hash = createHash('sha256').update(readFileSync(p)).digest('hex');
      out.push({ path: p, links: lstatSync(p).nlink, intact: name.startsWith(`${hash}-`) });
    }
  }
  return out;
}

describe('staged sources', () => {
  it('are what a copy would be (bytes, mtime, executable bit), read-only to the command, shared between actions', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", srcs: ["data.txt", "tool.sh"], outs: ["a.out"], cmd: "{ stat -c '%Y %A' $(location data.txt) $(location tool.sh); bash $(location tool.sh); (echo x >> $(location data.txt)) 2>/dev/null && echo writable || echo refused; } > $@" });
cmd({ name: "b", srcs: ["data.txt"], outs: ["b.out"], cmd: "cat $< > $@" });
`,
      'p/data.txt': 'shared bytes\n',
      'p/tool.sh': 'echo tool ran\n',
    });
    const mtime = new Date('2020-02-02T02:02:02Z');
    utimesSync(join(ws.root, 'p/data.txt'), mtime, mtime);
    const r = await ws.run(['build', '//p:all']);
    expect(r.code, r.stderr).toBe(0);
    const secs = Math.floor(mtime.getTime() / 1000);
    expect(ws.read('xbuild-out/p/a.out')).toBe(`${secs} -r--r--r--\n${Math.floor(statSync(join(ws.root, 'p/tool.sh')).mtimeMs / 1000)} -r--r--r--\ntool ran\nrefused\n`);
    expect(ws.read('xbuild-out/p/b.out')).toBe('shared bytes\n');
    // One copy per source version, both intact; data.txt's was linked by both actions.
    const copies = sourceCopies(ws.cacheDir);
    expect(copies.map((c) => c.intact)).toEqual([true, true]);
    expect(ws.read('p/data.txt')).toBe('shared bytes\n');
  });

  it('keeps the executable bit of a source', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "x", srcs: ["run.sh"], outs: ["x.out"], cmd: "$(location run.sh) > $@" });
`,
      'p/run.sh': '#!/bin/sh\necho executed directly\n',
    });
    const { chmodSync } = await import('node:fs');
    chmodSync(join(ws.root, 'p/run.sh'), 0o755);
    const r = await ws.run(['build', '//p:x']);
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/x.out')).toBe('executed directly\n');
  });

  it('an action writing its source input in place (no sandbox) fails; the copy is dropped and the source is untouched', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "evil", srcs: ["in.txt", "evil.sh"], outs: ["e.out"], cmd: "bash $(location evil.sh) $(location in.txt) $@" });
cmd({ name: "reader", srcs: ["in.txt"], outs: ["r.out"], cmd: "cat $< > $@" });
`,
      // Writes 4 bytes at the start of $1 through its link, puts its mode and mtime back, copies it to $2.
      'p/evil.sh': `set -e
t=$(stat -c %y "$1")
chmod u+w "$1"
printf 'EVIL' | dd of="$1" bs=1 seek=0 count=4 conv=notrunc 2>/dev/null
chmod a-w "$1"
touch -d "$t" "$1"
cp "$1" "$2"
`,
      'p/in.txt': 'original source bytes\n',
    });
    const bad = await ws.run(['build', '//p:evil'], { XBUILD_SANDBOX: 'none' });
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/wrote to its input p\/in\.txt/);
    expect(ws.exists('xbuild-out/p/e.out')).toBe(false);
    expect(ws.read('p/in.txt')).toBe('original source bytes\n');
    expect(sourceCopies(ws.cacheDir).filter((c) => !c.intact)).toEqual([]);

    // Another action staging the same source gets its real bytes.
    const good = await ws.run(['build', '//p:reader'], { XBUILD_SANDBOX: 'none' });
    expect(good.code, good.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/r.out')).toBe('original source bytes\n');
  });

  it('a copy altered in the cache is hashed again and replaced before it is staged', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "r", srcs: ["in.txt", "salt.txt"], outs: ["r.out"], cmd: "cat $(location in.txt) > $@" });
`,
      'p/in.txt': 'the real bytes\n',
      'p/salt.txt': '1\n',
    });
    expect((await ws.run(['build', '//p:r'])).code).toBe(0);
    const copy = sourceCopies(ws.cacheDir).find((c) => readFileSync(c.path, 'utf8') === 'the real bytes\n')!;
    // Rewritten as root (same size, mode and mtime put back): only its ctime tells.
    const st = statSync(copy.path);
    writeFileSync(copy.path, 'FAKE real bytes\n');
    utimesSync(copy.path, st.atime, st.mtime);
    ws.write({ 'p/salt.txt': '2\n' });
    const r = await ws.run(['build', '//p:r']);
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/r.out')).toBe('the real bytes\n');
    expect(sourceCopies(ws.cacheDir).filter((c) => !c.intact)).toEqual([]);
  });

  it('cache gc removes the copies no sandbox links, and a build makes them again', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "r", srcs: ["in.txt"], outs: ["r.out"], cmd: "cat $< > $@" });
`,
      'p/in.txt': 'bytes\n',
    });
    expect((await ws.run(['build', '//p:r'])).code).toBe(0);
    const [copy] = sourceCopies(ws.cacheDir);
    // An unlinked copy beside it (a source version no sandbox holds any more) and a killed build's temp file.
    const old = join(copy.path, '..', `${'0'.repeat(64)}-1-r`);
    writeFileSync(old, 'old version\n');
    writeFileSync(join(copy.path, '..', 'tmp-999999-dead-1'), 'half');
    const linked = join(ws.scratch, 'held-link');
    linkSync(copy.path, linked); // as a sandbox's link would: this copy stays
    const gc = await ws.run(['cache', 'gc', '--max-size', '1G']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toMatch(/removed \d+ unused source copies/);
    expect(sourceCopies(ws.cacheDir).map((c) => c.path)).toEqual([copy.path]);

    ws.write({ 'p/in.txt': 'new bytes\n' });
    const again = await ws.run(['build', '//p:r']);
    expect(again.code, again.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/r.out')).toBe('new bytes\n');
  });
});
