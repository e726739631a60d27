import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, lstatSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Sandbox, Sandboxes } from '../../engine/execute/sandbox.js';

/** Every path under `root` (relative), directories marked with a trailing slash. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const isDir = lstatSync(p).isDirectory();
      out.push(relative(root, p) + (isDir ? '/' : ''));
      if (isDir) walk(p);
    }
  };
  walk(root);
  return out;
}

describe('sandbox reuse', () => {
  it('gives the next action exactly its own empty directories, whatever the last one left', () => {
    const base = mkdtempSync(join(tmpdir(), 'xbuild-sandbox-'));
    const sb = new Sandbox(join(base, 's'));
    mkdirSync(sb.dir);
    sb.prepare([join(sb.execroot, 'pkgs/a'), join(sb.execroot, 'out/pkgs/a')]);
    expect(tree(sb.execroot)).toEqual(['out/', 'out/pkgs/', 'out/pkgs/a/', 'pkgs/', 'pkgs/a/']);
    // What an action may leave behind: files, its own directories, symlinks, scratch files.
    writeFileSync(join(sb.execroot, 'pkgs/a/in.c'), 'x');
    mkdirSync(join(sb.execroot, 'pkgs/a/made/deep'), { recursive: true });
    writeFileSync(join(sb.execroot, 'pkgs/a/made/deep/f'), 'y');
    symlinkSync('/', join(sb.execroot, 'out/root-link'));
    writeFileSync(join(sb.scratch, 'tmpfile'), 'z');
    writeFileSync(join(sb.dir, 'request'), 'r');

    sb.prepare([join(sb.execroot, 'pkgs/b'), join(sb.execroot, 'out/pkgs/c')]);
    expect(tree(sb.execroot)).toEqual(['out/', 'out/pkgs/', 'out/pkgs/c/', 'pkgs/', 'pkgs/b/']);
    expect(tree(sb.scratch)).toEqual([]);
    expect(existsSync(join(sb.dir, 'request'))).toBe(false);
    // Parked directories are empty and outside the exec root.
    // The last action's directories became this one's (one rename each): nothing parked.
    expect(existsSync(join(sb.dir, 'spare'))).toBe(false);
    expect(existsSync(`${sb.dir}-spares`)).toBe(false);

    // A third round needs fewer directories: the rest are parked, empty, outside the sandbox.
    sb.prepare([join(sb.execroot, 'x/y/z')]);
    expect(tree(sb.execroot)).toEqual(['x/', 'x/y/', 'x/y/z/']);
    expect(tree(`${sb.dir}-spares`)).toEqual(['1/', '2/']);
    // And the next round takes them back from there.
    sb.prepare([join(sb.execroot, 'x/y/z'), join(sb.execroot, 'p/q')]);
    expect(tree(sb.execroot)).toEqual(['p/', 'p/q/', 'x/', 'x/y/', 'x/y/z/']);
    expect(tree(`${sb.dir}-spares`)).toEqual([]);
  });

  it('survives an action that deleted its own directories', () => {
    const base = mkdtempSync(join(tmpdir(), 'xbuild-sandbox-'));
    const sb = new Sandbox(join(base, 's'));
    mkdirSync(sb.dir);
    sb.prepare([join(sb.execroot, 'pkgs/a')]);
    // rm -rf of the exec root's content and of the spare directory.
    for (const n of readdirSync(sb.execroot)) rmSync(join(sb.execroot, n), { recursive: true });
    sb.prepare([join(sb.execroot, 'pkgs/a')]);
    expect(tree(sb.execroot)).toEqual(['pkgs/', 'pkgs/a/']);
  });

  it('parks its sandboxes when drained; the next build claims them and clears them first', async () => {
    const base = mkdtempSync(join(tmpdir(), 'xbuild-sandboxes-'));
    const first = new Sandboxes(base);
    const a = first.acquire();
    a.prepare([join(a.execroot, 'p')]);
    writeFileSync(join(a.execroot, 'p/left-over'), 'x');
    const b = first.acquire();
    b.prepare([join(b.execroot, 'q')]);
    first.release(a);
    expect(first.acquire()).toBe(a);
    await first.drain();
    expect(readdirSync(base).sort().every((n) => n.startsWith('spare-'))).toBe(true);
    expect(readdirSync(base)).toHaveLength(2);

    const next = new Sandboxes(base);
    const c = next.acquire();
    expect(readdirSync(base)).toHaveLength(2); // claimed, not created
    c.prepare([join(c.execroot, 'r')]);
    expect(tree(c.execroot)).toEqual(['r/']);
    await next.drain();
  });
});
