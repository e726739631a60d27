// An action's `unpack` input (a build root tarball): unpacked once per content into the cache,
// shown read-only at $XBUILD_UNPACKED, each action laying its own overlay over it
// (engine/execute/unpackedTrees.ts; Debian package builds use it, rules/debian.ts).
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

/** A rule making a tarball (a file owned by uid 1000, a private directory) and N actions using it. */
const BUILD = (marker: string, users: number) => `import { defineRule, attr } from "xbuild";
const rootfs = defineRule({ name: "rootfs", attrs: {}, impl(ctx) {
  const tar = ctx.actions.declareFile("root.tar");
  ctx.actions.run({ argv: ["/bin/bash", "-c", [
    "mkdir -p r/etc r/private && echo ${marker} > r/etc/marker && chown 1000:1000 r/etc/marker && chmod 0700 r/private",
    "tar -cf $0 -C r --numeric-owner .",
  ].join(" && "), tar.path], outputs: [tar], uidRange: true, tools: ["/usr/bin/tar"] });
  return { files: [tar] };
}});
const user = defineRule({ name: "user", attrs: { root: attr.label() }, impl(ctx) {
  const tar = ctx.attrs.root.files[0];
  const out = ctx.actions.declareFile(ctx.name + ".txt");
  ctx.actions.run({ argv: ["/bin/bash", "-c", [
    "set -e; o=$0; echo \\"tree $XBUILD_UNPACKED\\" > $o",
    "stat -c 'owner %u' $XBUILD_UNPACKED/etc/marker >> $o; cat $XBUILD_UNPACKED/etc/marker >> $o",
    "if touch $XBUILD_UNPACKED/etc/x 2>/dev/null; then echo tree-WRITABLE >> $o; else echo tree-read-only >> $o; fi",
    "mkdir root up work && mount -t overlay o -o userxattr,lowerdir=$XBUILD_UNPACKED,upperdir=$PWD/up,workdir=$PWD/work root",
    "cat root/etc/marker >> $o; echo written-by-" + ctx.name + " > root/etc/marker; test -d root/private && echo private-dir >> $o",
    // A directory of the tree emptied and removed (whiteouts in it): needs userxattr in a user namespace.
    "rm root/etc/marker && rmdir root/etc && echo removed-a-directory-of-the-tree >> $o",
  ].join("; "), out.path], inputs: [tar], outputs: [out], uidRange: true, unpack: tar });
  return { files: [out] };
}});
rootfs({ name: "root" });
${Array.from({ length: users }, (_, i) => `user({ name: "u${i}", root: ":root" });`).join('\n')}
`;

const trees = (w: TempWorkspace) => (existsSync(join(w.cacheDir, 'unpacked')) ? readdirSync(join(w.cacheDir, 'unpacked')) : []);

describe('an unpack input', () => {
  it('is unpacked once, read-only, with its owners, and every action gets a fresh overlay of it', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': BUILD('first', 3) });
    // An unpack killed mid-way (its process gone) leaves a temporary the next unpack removes.
    mkdirSync(join(ws.cacheDir, 'unpacked', `.tmp-${'0'.repeat(64)}-999999999`, 'tree'), { recursive: true });
    const r = await ws.build('//p:u0', '//p:u1', '//p:u2', '--jobs', '2');
    expect(r.code, r.stderr).toBe(0);
    for (const u of ['u0', 'u1', 'u2']) {
      // Each sees the tarball's content (not what another action wrote into its overlay).
      expect(ws.read(`xbuild-out/p/${u}.txt`).split('\n')).toEqual(['tree /xbuild/unpacked', 'owner 1000', 'first', 'tree-read-only', 'first', 'private-dir', 'removed-a-directory-of-the-tree', '']);
    }
    expect(trees(ws)).toHaveLength(1);
    expect((await ws.run(['cache', 'stats'])).stdout).toContain('unpacked trees:  1 ');
    const [tree] = trees(ws);
    expect(tree).toMatch(/^[0-9a-f]{64}$/);
    // Owned by the uid range on the host, as the sandbox's root sees it as its own.
    expect(statSync(join(ws.cacheDir, 'unpacked', tree, 'etc/marker')).uid).toBeGreaterThan(1000);

    // A new tarball content: a second tree; `cache gc` removes the first once its blob is gone.
    ws.write({ 'p/BUILD.ts': BUILD('second', 3) });
    expect((await ws.build('//p:u0', '//p:u1', '//p:u2')).code).toBe(0);
    expect(ws.read('xbuild-out/p/u0.txt')).toContain('second');
    expect(trees(ws).sort()).toHaveLength(2);
    const gc = await ws.run(['cache', 'gc', '--max-size', '1']);
    expect(gc.code, gc.stderr).toBe(0);
    expect(gc.stdout).toContain('removed 1 unpacked trees');
    expect(trees(ws)).toHaveLength(1);
    expect(trees(ws)).not.toContain(tree);
  });

  it('must be one of the action\'s inputs, with a uid range: else the BUILD file is at fault', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/t.tar': 'x',
      'p/BUILD.ts': `import { defineRule } from "xbuild";
const bad = defineRule({ name: "bad", attrs: {}, impl(ctx) {
  const out = ctx.actions.declareFile("o");
  ctx.actions.run({ argv: ["/bin/true"], outputs: [out], uidRange: true, unpack: ctx.file("t.tar") });
  return { files: [out] };
}});
bad({ name: "b" });
`,
    });
    const r = await ws.build('//p:b');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unpack p/t.tar must be a file among the action\'s inputs');
    expect(r.stderr).toContain('//p:b');
  });
});
