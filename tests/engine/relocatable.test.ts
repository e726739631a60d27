// The same xbuild installed in two directories (a build server's checkout and a laptop's) shares
// one cache: an action that runs xbuild's own rule scripts (named by absolute path in its argv and
// tools) has the same key from either install, so the second build is all cache hits.
import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, TempWorkspace } from '../helpers/cli.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A copy of this xbuild (bin, dist, rules, package.json; node_modules linked) in a new directory. */
function install(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xbuild-install-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'dist', 'rules', 'package.json']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  // A rule script of this install, the same bytes in both.
  writeFileSync(join(dir, 'rules/scripts/relocation-probe.sh'), 'printf "probe %s\\n" "$(cat "$1")" > "$2"\n');
  return dir;
}

const BUILD = `import { defineRule, attr } from "xbuild";
const probe = defineRule({ name: "probe", attrs: { src: attr.label() }, impl(ctx) {
  const script = ctx.ruleFile("scripts/relocation-probe.sh");
  const out = ctx.actions.declareFile(ctx.name + ".txt");
  ctx.actions.run({ argv: ["/bin/sh", script, ctx.attrs.src.files[0].path, out.path], inputs: ctx.attrs.src.files, outputs: [out], tools: ["/bin/sh", script] });
  return { files: [out] };
} });
probe({ name: "p", src: "in.txt" });
`;

describe('relocatable keys', () => {
  it('two installs of xbuild in different directories share the cache for actions running its rule scripts', async () => {
    const server = new TempWorkspace({ 'BUILD.ts': '', 'a/BUILD.ts': BUILD, 'a/in.txt': 'data\n' });
    const laptop = new TempWorkspace({ 'BUILD.ts': '', 'a/BUILD.ts': BUILD, 'a/in.txt': 'data\n' });
    cleanups.push(() => server.cleanup(), () => laptop.cleanup());
    server.xbuild = join(install(), 'bin/xbuild.js');
    laptop.xbuild = join(install(), 'bin/xbuild.js');

    const first = await server.build('//a:p');
    expect(first.code, first.stderr).toBe(0);
    expect(first.executed).toEqual(['//a:p']);
    expect(server.read('xbuild-out/a/p.txt')).toBe('probe data\n');

    const second = await laptop.run(['build', '//a:p'], { XBUILD_CACHE_DIR: server.cacheDir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.executed).toEqual([]);
    expect(laptop.read('xbuild-out/a/p.txt')).toBe('probe data\n');

    // A different script is a different action, whatever the path.
    writeFileSync(join(laptop.xbuild, '../../rules/scripts/relocation-probe.sh'), 'printf "other %s\\n" "$(cat "$1")" > "$2"\n');
    const third = await laptop.run(['build', '//a:p'], { XBUILD_CACHE_DIR: server.cacheDir });
    expect(third.code, third.stderr).toBe(0);
    expect(third.executed).toEqual(['//a:p']);
    expect(laptop.read('xbuild-out/a/p.txt')).toBe('other data\n');
  });
});
