// The cmd rule's make variables ($(location), $(locations), $(SRCS), $(OUTS), $(RULEDIR), $@, $<):
// what each expands to in the command the action runs, and the user errors that name the target.
import { afterEach, describe, expect, it } from 'vitest';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const BUILD = `import { cmd } from "xbuild";
cmd({ name: "one", srcs: ["a.txt"], outs: ["one.txt"], cmd: "cat $< > $@" });
cmd({ name: "two", srcs: ["a.txt", "b.txt"], outs: ["x.txt", "y.txt"], cmd: "cat $(SRCS) > $(RULEDIR)/x.txt && echo $(OUTS) > $(RULEDIR)/y.txt" });
cmd({ name: "all", srcs: [":one", ":two"], outs: ["all.txt"], cmd: "{ cat $(location :one); echo $(locations :two); echo $(RULEDIR); } > $@" });
`;

describe('cmd make variables', () => {
  it('expand to the exec-root paths of sources, outputs and dependencies', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': BUILD, 'p/a.txt': 'A\n', 'p/b.txt': 'B\n' });
    const r = await ws.build('//p:all');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/p/x.txt')).toBe('A\nB\n');
    expect(ws.read('xbuild-out/p/y.txt')).toBe('xbuild-out/p/x.txt xbuild-out/p/y.txt\n');
    expect(ws.read('xbuild-out/p/all.txt')).toBe('A\nxbuild-out/p/x.txt xbuild-out/p/y.txt\nxbuild-out/p\n');
  });

  it('a variable that does not fit the target is an error in the BUILD file, naming the target', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/a.txt': 'A\n', 'p/b.txt': 'B\n', 'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "bad", srcs: ["a.txt", "b.txt"], outs: ["o.txt"], cmd: "cat $< > $@" });\n' });
    let r = await ws.build('//p:bad');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\$< needs exactly one source, \/\/p:bad has 2/);
    ws.write({ 'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "bad", srcs: ["a.txt"], outs: ["o.txt"], cmd: "cat $(location :nope) > $@" });\n' });
    r = await ws.build('//p:bad');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\$\(location :nope\): :nope is not in srcs of \/\/p:bad/);
  });
});
