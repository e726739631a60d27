// Integrity of the blob store against actions that write where they should not: an input
// written in place through its hard link (same size, mtime set back), and bytes planted under a
// blob's name by another action. Each must be detected, reported, and never reach an output.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

/** Every blob file of the store whose bytes do not hash to its name. */
function mismatchedBlobs(cacheDir: string): string[] {
  const cas = join(cacheDir, 'cas');
  const bad: string[] = [];
  for (const shard of readdirSync(cas)) {
    for (const name of readdirSync(join(cas, shard))) {
      const got = createHash('sha256').update(readFileSync(join(cas, shard, name))).digest('hex');
      if (got !== name) bad.push(name);
    }
  }
  return bad;
}

// Writes 4 bytes at the start of $1 in place (through whatever hard link it is), puts the mode
// and the mtime back (to the nanosecond), then copies it to $2.
const OVERWRITE_IN_PLACE = `set -e
in="$1"; out="$2"
t=$(stat -c %y "$in")
chmod u+w "$in" 2>/dev/null || true
printf 'EVIL' | dd of="$in" bs=1 seek=0 count=4 conv=notrunc 2>/dev/null
chmod a-w "$in" 2>/dev/null || true
touch -d "$t" "$in"
cp "$in" "$out"
`;

// Inside the action sandbox such writes are refused outright (the action runs as another uid and
// sees neither the blobs nor the cache: tests/engine/actionIsolation.test.ts). These tests turn
// the sandbox off so that the layer beneath it, the check of every linked blob after the
// command, is what has to catch them (it is what protects a machine without bubblewrap).
const NO_SANDBOX = { XBUILD_SANDBOX: 'none' };

describe('integrity', () => {
  it('an action writing its input in place (same size, mtime restored) fails; no blob keeps bytes that do not match its name', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "a", outs: ["a.out"], cmd: "printf 'original input bytes\\\\n' > $@" });
cmd({ name: "b", srcs: [":a", "evil.sh"], outs: ["b.out"], cmd: "bash $(location evil.sh) $(location :a) $@" });
`,
      'p/evil.sh': OVERWRITE_IN_PLACE,
    });
    const bad = await ws.run(['build', '//p:b'], NO_SANDBOX);
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.failed).toEqual(['//p:b']);
    expect(bad.stderr).toMatch(/wrote to its input xbuild-out\/p\/a\.out/);
    expect(ws.exists('xbuild-out/p/b.out')).toBe(false);
    expect(ws.read('xbuild-out/p/a.out')).toBe('original input bytes\n');
    expect(mismatchedBlobs(ws.cacheDir)).toEqual([]);

    // Even after `clean`, nothing built from the altered bytes comes back, and a fixed rule sees the real input.
    expect((await ws.run(['clean'])).code).toBe(0);
    ws.write({ 'p/evil.sh': 'cp "$1" "$2"\n' });
    const good = await ws.run(['build', '//p:b'], NO_SANDBOX);
    expect(good.code, good.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/b.out')).toBe('original input bytes\n');
  });

  it('bytes planted under a blob name by another action are detected before the next use in the same build', async () => {
    ws = new TempWorkspace();
    // `e` rewrites the victim's blob in the cache directly (not through an input of its own),
    // same size, mode and mtime put back; `c2` then uses the victim in the same build.
    ws.write({
      'BUILD.ts': '',
      'p/plant.sh': `set -e
f=$(grep -rl 'victim-original-bytes' '${ws.cacheDir}/cas' | head -1)
t=$(stat -c %y "$f")
chmod u+w "$f" 2>/dev/null || true
printf 'PLANTED-bytes-here-!!' | dd of="$f" bs=1 seek=0 count=21 conv=notrunc 2>/dev/null
chmod a-w "$f" 2>/dev/null || true
touch -d "$t" "$f"
echo planted > "$1"
`,
      'p/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "v", outs: ["v.out"], cmd: "printf 'victim-original-bytes\\\\n' > $@" });
cmd({ name: "c1", srcs: [":v"], outs: ["c1.out"], cmd: "tr a-z A-Z < $< > $@" });
cmd({ name: "e", srcs: [":c1", "plant.sh"], outs: ["e.out"], cmd: "bash $(location plant.sh) $@" });
cmd({ name: "c2", srcs: [":v", ":e"], outs: ["c2.out"], cmd: "cp $(location :v) $@" });
`,
    });
    const r = await ws.run(['build', '//p:c2'], NO_SANDBOX);
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/c1.out')).toBe('VICTIM-ORIGINAL-BYTES\n');
    expect(ws.read('xbuild-out/p/c2.out')).toBe('victim-original-bytes\n');
    expect(r.stderr).toMatch(/cache blob [0-9a-f]{64} was removed: its bytes no longer match its name/);
    expect(mismatchedBlobs(ws.cacheDir)).toEqual([]);

    // The blob was put back from xbuild-out's copy, after hashing it: a clean build restores everything intact.
    expect((await ws.run(['clean'])).code).toBe(0);
    const again = await ws.run(['build', '//p:c2'], NO_SANDBOX);
    expect(again.code, again.stderr).toBe(0);
    expect(again.executed).toEqual([]);
    expect(ws.read('xbuild-out/p/v.out')).toBe('victim-original-bytes\n');
    expect(ws.read('xbuild-out/p/c2.out')).toBe('victim-original-bytes\n');
  });
});
