// Rules defined in BUILD files (README "Writing a rule"): their implementations run in the build
// realm on a ctx made there, and what they ask of ctx.actions is checked and replayed by xbuild.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const RULES = `import { defineRule, attr, type Artifact } from "xbuild";

export const stripComments = defineRule({
  name: "strip_comments",
  attrs: {
    src: attr.label(),
    jobs: attr.int({ default: 1 }),
  },
  impl(ctx) {
    const out: Artifact = ctx.actions.declareFile(\`\${ctx.name}.txt\`);
    ctx.actions.run({
      mnemonic: "Strip",
      argv: ["/bin/sh", "-c", 'sed "/^#/d" "$0" > "$1"', ctx.attrs.src.files[0].path, out.path],
      inputs: ctx.attrs.src.files,
      outputs: [out],
      tools: ["/bin/sh", "/usr/bin/sed"],
    });
    return { files: [out], providers: { StripInfo: { out, lines: [1, 2] } } };
  },
});

export const concat = defineRule({
  name: "concat",
  attrs: { parts: attr.labelList(), header: attr.string({ default: "" }) },
  impl(ctx) {
    const header = ctx.actions.write(\`\${ctx.name}.header\`, ctx.attrs.header + "\\n");
    const extra = ctx.file("extra.txt");
    const out = ctx.actions.declareFile(\`\${ctx.name}.txt\`);
    const files = [header, ...ctx.attrs.parts.flatMap((p) => p.files), extra];
    ctx.actions.run({ argv: ["/bin/sh", "-c", 'cat "$@" > "$0"', out.path, ...files.map((f) => f.path)], inputs: files, outputs: [out], tools: ["/bin/sh"] });
    return { files: [out] };
  },
});
`;

describe('rules defined in BUILD files', () => {
  it('run in the build realm: the README rule, shared by two packages, with ctx.file and ctx.actions.write', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'defs/rules.ts': RULES,
      'a/BUILD.ts': 'import { stripComments } from "../defs/rules";\nstripComments({ name: "clean", src: "notes.txt" });\n',
      'a/notes.txt': '# comment\nkept a\n',
      'b/BUILD.ts': 'import { stripComments, concat } from "../defs/rules";\nstripComments({ name: "clean", src: "more.txt", jobs: 2 });\nconcat({ name: "all", parts: ["//a:clean", ":clean"], header: "H" });\n',
      'b/more.txt': 'kept b\n# gone\n',
      'b/extra.txt': 'extra\n',
    });
    const r = await ws.build('//b:all');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/b/all.txt')).toBe('H\nkept a\nkept b\nextra\n');
    const again = await ws.build('//...');
    expect(again.code, again.stderr).toBe(0);
    expect(again.executed).toEqual([]);
  });

  it('ctx.file of a missing file is an error at the target', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'defs/rules.ts': RULES,
      'b/BUILD.ts': 'import { concat } from "../defs/rules";\n\nconcat({ name: "all", parts: [] });\n',
    });
    const r = await ws.build('//b:all');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[missing-file\] \/\/b:all \(rule concat\): ctx\.file\("extra\.txt"\): no such file b\/extra\.txt\n {2}--> b\/BUILD\.ts:3:\d+/);
  });

  it('cannot reach the host through ctx, and cannot change what its dependents see', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    const marker = join(ws.scratch, 'escaped');
    ws.write({
      'a/BUILD.ts': `import { defineRule, attr } from "xbuild";
const info = defineRule({ name: "info", attrs: {}, impl(ctx) {
  const out = ctx.actions.write("i.txt", "i");
  return { files: [out], providers: { Info: { tags: ["base"] } } };
} });
const reader = defineRule({ name: "reader", attrs: { dep: attr.label() }, impl(ctx) {
  try { (ctx.attrs.dep.providers.Info.tags as string[]).push("injected"); } catch {}
  const out = ctx.actions.write(ctx.name + ".txt", (ctx.attrs.dep.providers.Info.tags as string[]).join(","));
  return { files: [out] };
} });
const escaper = defineRule({ name: "escaper", attrs: {}, impl(ctx) {
  const p = (ctx as any).actions.run.constructor("return process")();
  p.getBuiltinModule("fs").writeFileSync(${JSON.stringify(marker)}, "escaped");
  return {};
} });
info({ name: "i" });
reader({ name: "r1", dep: ":i" });
reader({ name: "r2", dep: ":i" });
escaper({ name: "e" });
`,
    });
    const r = await ws.build('//a:r1', '//a:r2');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/a/r2.txt')).toBe('base');
    const e = await ws.build('//a:e');
    expect(existsSync(marker)).toBe(false);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/error\[rule-error\] \/\/a:e \(rule escaper\) failed during analysis: .*\n {2}--> a\/BUILD\.ts:12:/);
  });

  it('an implementation that never returns is stopped at the time limit, naming the target', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'a/BUILD.ts': 'import { defineRule } from "xbuild";\nconst spin = defineRule({ name: "spin", attrs: {}, impl() { for (;;) {} } });\n\nspin({ name: "s" });\n',
    });
    const r = await ws.run(['build', '//a:s'], { XBUILD_EVAL_TIMEOUT_MS: '1500' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error\[time-limit\] evaluating the implementation of rule spin for \/\/a:s took longer than 1\.5 s.*\n {2}--> a\/BUILD\.ts:4:1/);
  });
});
