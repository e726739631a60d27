// Where each declaration was made (a target's location and its callers, a rule's definition)
// is read from the stack of the realm: the workspace frames above the BUILD file's evaluation,
// innermost first, at most 32 frames deep. The realm takes a short stack first and a deep one
// when the short one does not reach the evaluation; both must give the same frames.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Loader } from '../../engine/load/loader.js';
import * as rules from '../../rules/index.js';

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function workspace(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'xbuild-frames-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const MACROS = `import { cmd, defineRule, attr } from "xbuild";

export function m1(name: string): void {
  cmd({ name, outs: [name + ".out"], cmd: "true" });
}
export function m2(name: string): void {
  m1(name);
}
export function deep(name: string, n: number): void {
  if (n === 0) {
    cmd({ name, outs: [name + ".out"], cmd: "true" });
    return;
  }
  deep(name, n - 1);
}
cmd({ name: "from_lib_top", outs: ["lib.out"], cmd: "true" });
export const myrule = defineRule({ name: "myrule", attrs: { msg: attr.string() }, impl: () => ({}) });
`;

const BUILD = `import { cmd } from "xbuild";
import { m1, m2, deep, myrule } from "../lib/macros";

type T = { a: number };
cmd({ name: "direct", outs: ["d.out"], cmd: "true" });
m1("via_m1");
m2("via_m2");
deep("deep3", 3);
deep("deep10", 10);
deep("deep40", 40);
  myrule({ name: "r1", msg: "hi" });
[1].forEach(() => cmd({ name: "in_cb", outs: ["cb.out"], cmd: "true" }));
`;

describe('declaration frames', () => {
  it('name the call and its workspace callers, through macros, imports and callbacks', () => {
    const ws = workspace({ 'BUILD.ts': '', 'lib/macros.ts': MACROS, 'a/BUILD.ts': BUILD });
    const loader = new Loader(ws, rules as Record<string, unknown>);
    const targets = loader.loadPackage('a')!.targets;
    const at = (f: { file: string; line: number; column: number }) => `${relative(ws, f.file)}:${f.line}:${f.column}`;
    const where = (name: string) => {
      const t = targets.get(name)!;
      return [at(t.location), ...t.callers.map(at)];
    };
    expect(where('direct')).toEqual(['a/BUILD.ts:5:5']);
    expect(where('via_m1')).toEqual(['lib/macros.ts:4:7', 'a/BUILD.ts:6:4']);
    expect(where('via_m2')).toEqual(['lib/macros.ts:4:7', 'lib/macros.ts:7:3', 'a/BUILD.ts:7:4']);
    expect(where('from_lib_top')).toEqual(['lib/macros.ts:16:5', 'a/BUILD.ts:2:1']);
    expect(where('in_cb')).toEqual(['a/BUILD.ts:12:23', 'a/BUILD.ts:12:5']);
    expect(where('r1')).toEqual(['a/BUILD.ts:11:10']);
    expect(where('deep3')).toEqual(['lib/macros.ts:11:9', ...Array(3).fill('lib/macros.ts:14:3'), 'a/BUILD.ts:8:6']);
    // Deeper than the short stack: the deep one.
    expect(where('deep10')).toEqual(['lib/macros.ts:11:9', ...Array(10).fill('lib/macros.ts:14:3'), 'a/BUILD.ts:9:6']);
    // Deeper than 32 frames: the innermost 32 (the file's own line is not among them).
    expect(where('deep40')).toEqual(['lib/macros.ts:11:9', ...Array(31).fill('lib/macros.ts:14:3')]);
    expect(loader.filesRead.size).toBe(2);
  });

  it('a package walk follows symbolic links to directories, and a package without BUILD.ts has no targets', () => {
    const ws = workspace({ 'BUILD.ts': '', 'real/BUILD.ts': '', 'real/sub/BUILD.ts': '', 'plain/file.txt': '' });
    symlinkSync(join(ws, 'real'), join(ws, 'linked'));
    symlinkSync(join(ws, 'plain/file.txt'), join(ws, 'plain/BUILD.ts.txt'));
    const loader = new Loader(ws, rules as Record<string, unknown>);
    expect(loader.findPackages('')).toEqual(['', 'linked', 'linked/sub', 'real', 'real/sub']);
    expect(loader.walkedDirs.get(join(ws, 'plain'))).toEqual(['BUILD.ts.txt', 'file.txt']);
    expect(loader.loadPackage('plain')).toBeUndefined();
    expect(loader.loadPackage('real')?.targets.size).toBe(0);
  });
});
