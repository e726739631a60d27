// BUILD.ts loading and analysis errors, as the user sees them (file:line, caret, label chain).
import { afterEach, describe, expect, it } from 'vitest';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

async function errorsOf(files: Record<string, string>, ...targets: string[]) {
  ws = new TempWorkspace({ 'BUILD.ts': '', ...files });
  const r = await ws.build(...(targets.length ? targets : ['//...']));
  expect(r.code, r.stderr).toBe(2);
  return r.stderr;
}

describe('BUILD.ts errors', () => {
  it('a dependency cycle names the whole cycle', async () => {
    const err = await errorsOf({
      'a/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "x", srcs: [":y"], outs: ["x"], cmd: "true" });
cmd({ name: "y", srcs: ["//b:z"], outs: ["y"], cmd: "true" });`,
      'b/BUILD.ts': `import { cmd } from "xbuild";
cmd({ name: "z", srcs: ["//a:x"], outs: ["z"], cmd: "true" });`,
    }, '//a:x');
    expect(err).toContain('error[cycle] dependency cycle: //a:x -> //a:y -> //b:z -> //a:x');
    expect(err).toMatch(/--> b\/BUILD\.ts:2:/);
    expect(err).toContain('//a:y depends on //b:z at a/BUILD.ts:3');
  });

  it('importing fs is refused with a clear error at the import', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { readFileSync } from "fs";\nimport { cmd } from "xbuild";\ncmd({ name: "x", outs: [readFileSync("/etc/hostname", "utf8")], cmd: "true" });` });
    expect(err).toContain('import "fs" is not allowed: BUILD files are hermetic');
    expect(err).toMatch(/--> a\/BUILD\.ts:1:/);
  });

  it('reading process.env is refused with a clear error at the line', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { cmd } from "xbuild";\n\nconst home = process.env.HOME;\ncmd({ name: "x", outs: ["x"], cmd: "echo " + home });` });
    expect(err).toContain('process is not available in BUILD files: they are hermetic');
    expect(err).toMatch(/--> a\/BUILD\.ts:3:\d+/);
    expect(err).toContain('const home = process.env.HOME;');
  });

  it('Date and Math.random are not available either', async () => {
    expect(await errorsOf({ 'a/BUILD.ts': `const t = Date.now();` })).toContain('Date is not available in BUILD files');
    expect(await errorsOf({ 'a/BUILD.ts': `const r = Math.random();` })).toContain('Math.random is not available in BUILD files');
  });

  it('an unknown attribute points at it and suggests the right one', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({\n  name: "x",\n  outs: ["x"],\n  srcz: [],\n  cmd: "true",\n});` });
    expect(err).toContain('error[unknown-attribute] rule cmd has no attribute "srcz" (target //a:x)');
    expect(err).toMatch(/--> a\/BUILD\.ts:5:3/);
    expect(err).toContain('did you mean "srcs"?');
  });

  it('a wrong attribute type says what was expected', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: 42 as any });` });
    expect(err).toContain('attribute "cmd" of //a:x: expected a string, got number');
  });

  it('an unknown label suggests a near one and shows the chain that led there', async () => {
    const err = await errorsOf({
      'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "top", srcs: ["//b:mid"], outs: ["t"], cmd: "true" });`,
      'b/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "mid", srcs: ["//c:zlib"], outs: ["m"], cmd: "true" });`,
      'c/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "zlib-lib", outs: ["z"], cmd: "true" });`,
    }, '//a:top');
    expect(err).toContain('error[unknown-target] //c:zlib does not exist');
    expect(err).toMatch(/--> b\/BUILD\.ts:2:\d+\n/);
    expect(err).toMatch(/\n2 \| cmd.*\n +\| +\^{10}\n/); // the caret spans "//c:zlib" with its quotes
    expect(err).toContain('did you mean //c:zlib-lib?');
    expect(err).toContain('required by //b:mid <- //a:top');
  });

  it('a duplicate target name is reported at the second declaration', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: "true" });\ncmd({ name: "x", outs: ["y"], cmd: "true" });` });
    expect(err).toContain('target "x" is declared twice in package //a');
    expect(err).toMatch(/--> a\/BUILD\.ts:3:/);
  });

  it('a syntax error gives file:line:col', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"] cmd: "true" });` });
    expect(err).toMatch(/error\[syntax\] .*expected/);
    expect(err).toMatch(/--> a\/BUILD\.ts:2:\d+/);
  });

  it('an exception thrown in a BUILD file is reported where it was thrown', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `\n\nthrow new Error("boom from BUILD");` });
    expect(err).toContain('boom from BUILD');
    expect(err).toMatch(/--> a\/BUILD\.ts:3:/);
  });

  it('a malformed label in an attribute quotes it and says why', async () => {
    const err = await errorsOf({ 'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "x", srcs: ["//b/../c:y"], outs: ["x"], cmd: "true" });` });
    expect(err).toContain('malformed label "//b/../c:y"');
    expect(err).toContain('must not contain ".."');
  });

  it('BUILD files may import workspace .ts files; their exports are frozen', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'defs/common.ts': `export const names = ["one", "two"];\nexport function shout(s: string) { return s.toUpperCase(); }`,
      'a/BUILD.ts': `import { cmd } from "xbuild";\nimport { names, shout } from "../defs/common";\nfor (const n of names) cmd({ name: n, outs: [n + ".txt"], cmd: "echo " + shout(n) + " > $@" });`,
      'b/BUILD.ts': `import { names } from "../defs/common";\n(names as string[]).push("three");`,
    });
    const r = await ws.build('//a:all');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/a/two.txt')).toBe('TWO\n');
    const bad = await ws.build('//b:all');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/object is not extensible|read.only|Cannot add property/i);
    // Editing the imported file re-evaluates the BUILD files that use it.
    ws.write({ 'defs/common.ts': `export const names = ["one", "two", "four"];\nexport function shout(s: string) { return s.toUpperCase(); }` });
    const again = await ws.build('//a:all');
    expect(again.executed).toEqual(['//a:four']);
  });

  it('xbuild check reports type errors with file:line:col', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: "true", cpu: "two" });`,
    });
    const r = await ws.run(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[TS2322\] Type 'string' is not assignable to type 'number'/);
    expect(r.stderr).toMatch(/--> a\/BUILD\.ts:2:\d+/);
    ws.write({ 'a/BUILD.ts': `import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: "true", cpu: 2 });` });
    const ok = await ws.run(['check']);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
