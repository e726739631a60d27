// BUILD files (and the workspace modules they import) read data from workspace .json files by
// import: parsed by xbuild, handed in frozen, part of what the analysis cache and the
// up-to-date stamp depend on, and typed for `xbuild check`.
import { afterEach, describe, expect, it } from 'vitest';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const LOCK = JSON.stringify({ suite: 'bookworm', packages: [{ name: 'zlib', version: '1.2.13' }, { name: 'xz', version: '5.4.1' }] }, null, 2);

function workspace(): TempWorkspace {
  return new TempWorkspace({
    'BUILD.ts': '',
    'defs/lock.json': LOCK,
    'defs/names.ts': 'import lock from "./lock.json";\nexport const names: string[] = lock.packages.map((p) => p.name);\n',
    'pkgs/BUILD.ts': `import { cmd } from "xbuild";
import lock from "../defs/lock.json";
import { suite } from "../defs/lock.json";
import { names } from "../defs/names";
for (const p of lock.packages) {
  cmd({ name: p.name, outs: [p.name + ".txt"], cmd: "echo " + suite + " " + p.version + " > $@" });
}
cmd({ name: "all", outs: ["all.txt"], cmd: "echo " + names.join(",") + " > $@" });
`,
  });
}

describe('JSON imports', () => {
  it('BUILD files and the modules they import read workspace JSON', async () => {
    ws = workspace();
    const r = await ws.build('//pkgs:all', '//pkgs:zlib', '//pkgs:xz');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/pkgs/zlib.txt')).toBe('bookworm 1.2.13\n');
    expect(ws.read('xbuild-out/pkgs/all.txt')).toBe('zlib,xz\n');
  });

  it('an edited JSON file is read again: the analysis and the up-to-date stamp depend on it', async () => {
    ws = workspace();
    expect((await ws.build('//pkgs:zlib')).code).toBe(0);
    const same = await ws.build('//pkgs:zlib');
    expect(same.executed).toEqual([]);
    ws.write({ 'defs/lock.json': LOCK.replace('1.2.13', '1.3.1') });
    const again = await ws.build('//pkgs:zlib');
    expect(again.code, again.stderr).toBe(0);
    expect(again.executed).toEqual(['//pkgs:zlib']);
    expect(ws.read('xbuild-out/pkgs/zlib.txt')).toBe('bookworm 1.3.1\n');
    const q = await ws.run(['query', '//pkgs:all']);
    expect(q.code, q.stderr).toBe(0);
    ws.write({ 'defs/lock.json': JSON.stringify({ suite: 'bookworm', packages: [{ name: 'bzip2', version: '1.0.8' }] }) });
    const listed = await ws.run(['query', '//pkgs/...']);
    expect(listed.stdout.split('\n').filter(Boolean)).toEqual(['//pkgs:all', '//pkgs:bzip2']);
  });

  it('the data is frozen: one BUILD file cannot change what another reads', async () => {
    ws = workspace();
    ws.write({ 'a/BUILD.ts': 'import lock from "../defs/lock.json";\n\n(lock.packages as any[]).push({ name: "evil", version: "1" });\n' });
    const r = await ws.run(['query', '//...']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TypeError: Cannot add property 2, object is not extensible\n {2}--> a\/BUILD\.ts:3:/);
  });

  it('a JSON file that does not parse is reported at its line and column', async () => {
    ws = workspace();
    ws.write({ 'defs/lock.json': '{\n  "suite": "bookworm",\n  "packages": [}\n' });
    const r = await ws.run(['query', '//pkgs:all']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error\[bad-json\] defs\/lock\.json is not valid JSON: .*\n {2}--> defs\/lock\.json:3:16/);
  });

  it('only workspace files, by relative path', async () => {
    ws = workspace();
    ws.write({ 'a/BUILD.ts': 'import data from "../../outside.json";\nexport const x = data;\n' });
    const out = await ws.run(['query', '//a:all']);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('import "../../outside.json" leaves the workspace');
    ws.write({ 'a/BUILD.ts': '\nimport data from "some-package/data.json";\nexport const x = data;\n' });
    const pkg = await ws.run(['query', '//a:all']);
    expect(pkg.code).toBe(2);
    expect(pkg.stderr).toMatch(/import "some-package\/data\.json" is not allowed.*\n {2}--> a\/BUILD\.ts:2:/);
  });

  it('xbuild check types the data from the JSON file', async () => {
    ws = workspace();
    const ok = await ws.run(['check']);
    expect(ok.code, ok.stderr).toBe(0);
    ws.write({ 'b/BUILD.ts': 'import lock from "../defs/lock.json";\nconst v: number = lock.packages[0].version;\nexport { v };\n' });
    const bad = await ws.run(['check']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/error\[TS2322\] Type 'string' is not assignable to type 'number'/);
    expect(bad.stderr).toMatch(/--> b\/BUILD\.ts:2:7/);
  });
});
