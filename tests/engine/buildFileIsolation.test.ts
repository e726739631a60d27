// BUILD files are untrusted code: they must not reach the host (process, files, secrets), must
// not change what other BUILD files see, must end within the time and memory limits, and every
// hostile value they throw must become an exit-2 diagnostic at its file:line.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

/** Code that, given `p`, uses it as the host's `process` to write `marker` (and run a command). */
function useProcess(marker: string): string {
  return `const fs = p.getBuiltinModule ? p.getBuiltinModule("fs") : p.mainModule.require("fs");
fs.writeFileSync(${JSON.stringify(marker)}, "escaped: " + (p.getBuiltinModule ? p.getBuiltinModule("child_process").execSync("id").toString() : ""));`;
}

/** Ways of reaching the host's `process` through objects a BUILD file gets from xbuild (all worked before the build realm). */
const ESCAPES: Record<string, string> = {
  'console.log.constructor': 'const p = (console.log as any).constructor("return process")();',
  'require.constructor': 'const p = (require as any).constructor("return process")();',
  'module.constructor.constructor': 'const p = (module as any).constructor.constructor("return process")();',
  'exports.constructor.constructor': 'const p = (exports as any).constructor.constructor("return process")();',
  'cmd.constructor': 'const p = (cmd as any).constructor("return process")();',
  'attr.constructor.constructor': 'const p = (attr as any).constructor.constructor("return process")();',
  'the error the Date trap throws': 'let p: any;\ntry { Date.now(); } catch (e: any) { p = e.constructor.constructor("return process")(); }',
  'the process getter (.get.constructor)': 'const p = (Object.getOwnPropertyDescriptor(globalThis, "process") as any).get.constructor("return process")();',
  'Math.random.constructor': 'const p = (Math.random as any).constructor("return process")();',
  'console.constructor.constructor': 'const p = (console as any).constructor.constructor("return process")();',
};

describe('a BUILD file cannot reach the host', () => {
  for (const [name, reach] of Object.entries(ESCAPES)) {
    it(`through ${name}`, async () => {
      ws = new TempWorkspace({ 'BUILD.ts': '' });
      const marker = join(ws.scratch, 'escaped');
      ws.write({ 'a/BUILD.ts': `import { cmd, attr } from "xbuild";\ndeclare const require: any, module: any, exports: any;\n${reach}\n${useProcess(marker)}\ncmd({ name: "x", outs: ["x"], cmd: "true" });\n` });
      const r = await ws.run(['query', '//...']);
      expect(existsSync(marker), `${name} reached the host: ${r.stderr}`).toBe(false);
      expect(r.code, r.stderr).toBe(2);
      // The error is reported where the BUILD file tried.
      expect(r.stderr).toMatch(/error\[build-file-error\] .*\n {2}--> a\/BUILD\.ts:[34]:\d+/);
    });
  }

  it('through dynamic import(): a refused import whose error reaches nothing', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    const marker = join(ws.scratch, 'escaped');
    ws.write({ 'a/BUILD.ts': `\nconst x = 1;\n(import("fs") as Promise<any>).catch((e: any) => { const p = e.constructor.constructor("return process")();\n${useProcess(marker)} });\n` });
    const r = await ws.run(['query', '//...']);
    expect(existsSync(marker)).toBe(false);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--> a\/BUILD\.ts:3:/);
    ws.write({ 'a/BUILD.ts': `\n\nvoid import("child_process");\n` });
    const plain = await ws.run(['query', '//...']);
    expect(plain.code, plain.stderr).toBe(2);
    expect(plain.stderr).toContain('import "child_process" is not allowed: BUILD files are hermetic');
    expect(plain.stderr).toMatch(/--> a\/BUILD\.ts:3:/);
  });

  it('through an error Node makes while formatting a stack on the edge of a stack overflow', async () => {
    // Node formats stacks with JavaScript of its own thread: overflowing there hands BUILD code
    // an error of that thread. It must reach no Function constructor and nothing of the host.
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    const marker = join(ws.scratch, 'escaped');
    ws.write({
      'a/BUILD.ts': `import { cmd } from "xbuild";
const RealmObject = Object;
const caught: any[] = [];
function keep(e: any) {
  if (e !== null && typeof e === "object" && !(e instanceof RealmObject)) caught.push(e);
}
function tryHost(e: any) {
  const ways = [
    () => e.constructor.constructor("return process")(),
    () => Object.getPrototypeOf(Object.getPrototypeOf(e.constructor)).constructor("return process")(),
    () => Object.getPrototypeOf(e.constructor).constructor("return process")(),
  ];
  for (const way of ways) {
    try {
      const p: any = way();
      if (p && typeof p.pid === "number") {
        ${useProcess(marker).replace(/\n/g, '\n        ')}
      }
    } catch {}
  }
}
const attempts = [
  () => new Error("x").stack,
  () => { const o: any = {}; (Error as any).captureStackTrace(o); return o.stack; },
  () => { try { (null as any).x; } catch (e: any) { return e.stack; } },
];
let which = 0, budget = 0;
function deep(n: number): void {
  try { deep(n + 1); } catch (e) {
    if (budget-- > 0) {
      try { attempts[which](); } catch (e2) { keep(e2); }
      throw e;
    }
  }
}
for (which = 0; which < attempts.length; which++) for (let rep = 0; rep < 8; rep++) { budget = 600; try { deep(0); } catch (e) { keep(e); } }
// Used with the whole stack free again.
for (const e of caught) tryHost(e);
cmd({ name: "done", outs: ["done.txt"], cmd: "echo " + caught.length + " > $@" });
`,
    });
    const r = await ws.run(['query', '//...']);
    expect(existsSync(marker), r.stderr).toBe(false);
    expect([0, 2]).toContain(r.code);
  });

  it('nor the secrets, argv or environment of the xbuild process (--sign-with)', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    const keyFile = join(ws.scratch, 'buildserver.secret');
    const gen = await ws.run(['key', 'generate', '--name', 'buildserver']);
    expect(gen.code, gen.stderr).toBe(0);
    writeFileSync(keyFile, gen.stdout);
    const tries = Object.values(ESCAPES).map((reach) => `try {\n${reach}\nfound.push(JSON.stringify(p.argv), JSON.stringify(p.env), p.getBuiltinModule("fs").readFileSync(p.argv.find((a: string) => a.startsWith("--sign-with=")).slice(12), "utf8"));\n} catch (e) {}`);
    ws.write({
      'a/BUILD.ts': `import { cmd, attr } from "xbuild";\ndeclare const require: any, module: any, exports: any;\nconst found: string[] = [];\n${tries.join('\n')}\n`
        + 'try { found.push(JSON.stringify((globalThis as any).process.argv)); } catch {}\n'
        + 'cmd({ name: "leak", outs: ["leak.txt"], cmd: "printf %s " + JSON.stringify(found.join("|")).replace(/[^A-Za-z0-9|+\\/=: ._-]/g, "") + " > $@" });\n',
    });
    const secret = gen.stdout.trim().split(':').pop()!;
    const r = await ws.run(['build', '//a:leak', `--sign-with=${keyFile}`], { XBUILD_TEST_SECRET: 'env-secret-value' });
    expect(r.code, r.stderr).toBe(0);
    const leaked = ws.read('xbuild-out/a/leak.txt');
    for (const s of [secret.slice(0, 20), keyFile, 'env-secret-value', '--sign-with']) {
      expect(leaked).not.toContain(s);
      expect(r.stderr).not.toContain(s);
    }
  });
});

describe('one BUILD file cannot change what another sees', () => {
  it('polluting Object.prototype fails at that line, and the other package keeps its action key', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'a/BUILD.ts': 'try { (Object.prototype as any).env = { INJECTED: "yes" }; } catch {}\n',
      'b/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "b", outs: ["b.txt"], cmd: "env | grep -c INJECTED > $@ || true" });\n',
    });
    const alone = await ws.build('//b:b');
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.executed).toEqual(['//b:b']);
    const all = await ws.build('//...');
    expect(all.code, all.stderr).toBe(0);
    // The same action key: b's action is found in the cache, not run with another environment.
    expect(all.executed).toEqual([]);
    expect(all.cached).toEqual(['//b:b']);
    expect(ws.read('xbuild-out/b/b.txt').trim()).toBe('0');

    ws.write({ 'a/BUILD.ts': '\n(Object.prototype as any).env = { INJECTED: "yes" };\n' });
    const loud = await ws.build('//...');
    expect(loud.code).toBe(2);
    expect(loud.stderr).toMatch(/TypeError: Cannot (add|assign to read only) property.*\n {2}--> a\/BUILD\.ts:2:/);
  });

  it('a global variable set by one BUILD file is not there for the next', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'a/BUILD.ts': 'try { (globalThis as any).shared = "from a"; } catch {}\n',
      'b/BUILD.ts': 'import { cmd } from "xbuild";\nconst s = (globalThis as any).shared ?? "none";\ncmd({ name: "b", outs: ["b.txt"], cmd: "echo " + s + " > $@" });\n',
    });
    const r = await ws.build('//...');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/b/b.txt').trim()).toBe('none');
  });
});

describe('limits', () => {
  it('a BUILD file that loops forever is stopped at the time limit, named', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'a/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: "true" });\n', 'b/BUILD.ts': '\nwhile (true) {}\n' });
    const started = Date.now();
    const { proc, eventsFile } = ws.start(['query', '//...'], { XBUILD_EVAL_TIMEOUT_MS: '1500' });
    const r = await Promise.race([proc, new Promise<undefined>((res) => setTimeout(() => res(undefined), 60_000))]);
    if (!r) proc.kill('SIGKILL');
    expect(r, 'xbuild never finished').toBeDefined();
    void eventsFile;
    expect(r!.exitCode, String(r!.stderr)).toBe(2);
    expect(String(r!.stderr)).toMatch(/error\[time-limit\] evaluating b\/BUILD\.ts took longer than 1\.5 s/);
    expect(String(r!.stderr)).toContain('XBUILD_EVAL_TIMEOUT_MS');
    expect(Date.now() - started).toBeLessThan(50_000);
  });

  it('an endless promise chain is stopped at the time limit too', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'a/BUILD.ts': '\nconst spin = (): Promise<void> => Promise.resolve().then(spin);\nspin();\n' });
    const r = await ws.run(['query', '//...'], { XBUILD_EVAL_TIMEOUT_MS: '1500' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error\[time-limit\] evaluating a\/BUILD\.ts took longer than 1\.5 s/);
  });

  it('a BUILD file that fills memory is stopped at the memory limit, named, and xbuild exits 2', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'a/BUILD.ts': '\nconst hoard: number[][] = [];\nwhile (true) hoard.push(new Array(1_000_000).fill(hoard.length));\n' });
    const r = await ws.run(['query', '//...'], { XBUILD_EVAL_MEMORY_MB: '256' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error\[memory-limit\] evaluating a\/BUILD\.ts used more than 256 MiB/);
    expect(r.stderr).not.toMatch(/FATAL ERROR|Aborted|core dumped/);
  });
});

describe('hostile values become diagnostics at their line', () => {
  async function failsAt(source: string, line: number, message: RegExp) {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'a/BUILD.ts': source });
    const r = await ws.run(['query', '//...']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(new RegExp(`--> a/BUILD\\.ts:${line}:\\d+`));
    expect(r.stderr).not.toMatch(/internal error|xbuild bug/);
    return r.stderr;
  }

  it('an Error whose stack getter throws', async () => {
    await failsAt('\nconst e = new Error("boom");\nObject.defineProperty(e, "stack", { get() { throw new Error("no stack for you"); } });\nthrow e;\n', 4, /error\[build-file-error\] boom/);
  });

  it('an object whose message getter throws', async () => {
    await failsAt('\n\nthrow { get message(): string { throw new Error("no message"); } };\n', 3, /reading its message threw/);
  });

  it('a Proxy whose every trap throws', async () => {
    await failsAt('\nconst trap = () => { throw new Error("trap"); };\nthrow new Proxy({}, { get: trap, getPrototypeOf: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap });\n', 3, /error\[build-file-error\]/);
  });

  it('a value whose Symbol.toPrimitive throws', async () => {
    await failsAt('\n\n\nthrow { [Symbol.toPrimitive]() { throw new Error("no primitive"); } };\n', 4, /a thrown object without a message/);
  });

  it('throw 42', async () => {
    await failsAt('import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"], cmd: "true" });\nfunction f(): never {\n  throw 42;\n}\nf();\n', 4, /42 was thrown \(a number, not an Error\)/);
  });

  it('throw null', async () => {
    await failsAt('\n\nthrow null;\n', 3, /null was thrown \(null, not an Error\)/);
  });

  it('top-level await', async () => {
    const err = await failsAt('const x: number = 1;\n\n  await x;\n', 3, /error\[syntax\] SyntaxError: await is only valid/);
    expect(err).toMatch(/--> a\/BUILD\.ts:3:3/);
  });

  it('Array.prototype.every replaced to slip a number past validation', async () => {
    await failsAt('import { cmd } from "xbuild";\n(Array.prototype as any).every = () => true;\ncmd({ name: "x", outs: [42 as any], cmd: "true" });\n', 2, /Cannot assign to read only property 'every'/);
  });

  it('a rejected promise', async () => {
    await failsAt('\n\nPromise.reject(new Error("rejected later"));\n', 3, /error\[unhandled-rejection\] a promise was rejected and nothing handled it: rejected later/);
  });

  it('a throw in an async function', async () => {
    await failsAt('\nconst later = async () => {\n  await null;\n  throw new Error("async boom");\n};\nlater();\n', 4, /async boom/);
  });

  it('a promise rejected with a number', async () => {
    await failsAt('\nconst x = 1;\nPromise.reject(7);\n', 3, /7 was thrown \(a number, not an Error\)/);
  });

  it('an outs that changes its answer after it was checked is read once', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'a/BUILD.ts': `import { cmd } from "xbuild";
let n = 0;
const outs: string[] = [];
Object.defineProperty(outs, 0, { get: () => (n++ === 0 ? "x.txt" : (42 as any)), enumerable: true });
cmd({ name: "x", outs, cmd: "echo ok > $@" });
const later = ["y.txt"];
cmd({ name: "y", outs: later, cmd: "echo ok > $@" });
later.push(7 as any);
`,
    });
    const r = await ws.build('//a:x', '//a:y');
    expect(r.code, r.stderr).toBe(0);
    expect(ws.read('xbuild-out/a/x.txt')).toBe('ok\n');
    expect(ws.read('xbuild-out/a/y.txt')).toBe('ok\n');
  });

  it('a rule implementation that throws 42 is reported at its line', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'a/BUILD.ts': 'import { defineRule } from "xbuild";\nconst r = defineRule({ name: "r", attrs: {}, impl() {\n  throw 42;\n} });\nr({ name: "x" });\n',
    });
    const res = await ws.build('//a:x');
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/error\[rule-error\] \/\/a:x \(rule r\) failed during analysis: 42 was thrown/);
    expect(res.stderr).toMatch(/--> a\/BUILD\.ts:3:3/);
  });
});
