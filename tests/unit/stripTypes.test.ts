// engine/load/stripTypes.ts against ts.transpileModule (through the loader's tsc path) on a corpus of
// snippets: same behaviour in a vm, identifiers where the user wrote them, fallbacks where the
// fast path cannot be exact, and error positions mapped to the same place.
import { describe, expect, it } from 'vitest';
import vm from 'node:vm';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { SegmentMap, stripTypes, type StrippedModule } from '../../engine/load/stripTypes.js';
import { Loader, transpileWithTsc } from '../../engine/load/loader.js';
import { DiagnosticError } from '../../engine/report/diagnostics.js';
import { SourceMap } from '../../engine/load/sourceMap.js';

const ts = (createRequire(import.meta.url)('@ts-morph/common') as { ts: typeof import('typescript') }).ts;
const FILE = '/virtual/pkg/BUILD.ts';

/** Snippets that must take the fast path and behave as tsc's output does. */
const CORPUS: Record<string, string> = {
  'the generated BUILD file': `import { cmd } from "xbuild";\n\ncmd({ name: "t0001", srcs: ["t0001.c","//pkgs/p0000:t0000"], outs: ["t0001.out"], cmd: "grep -hv '^#' $(SRCS) | md5sum > $@" });\n`,
  'annotations, return types, optional and default parameters': `
const n: number = 1, s: string | undefined = "x";
let later!: number;
later = 2;
function f(a: number, b?: string, c: readonly string[] = [], ...rest: Array<number>): string { return a + (b ?? "") + c.length + rest.length; }
const g = (x: number): number => x * 2;
const h = async <T,>(x: T): Promise<T> => x;
log(f(n, s), g(later), typeof h, f(1));
try { throw new Error("e"); } catch (e: unknown) { log((e as Error).message); }
for (const x of [1, 2] as number[]) log(x);
const { a, b: [c] }: { a: number; b: number[] } = { a: 1, b: [2] };
log(a, c);`,
  'type parameters, type arguments, instantiation expressions': `
function id<T extends object = {}>(x: T): T { return x; }
class Box<T> { constructor(readonlyValue: T) { this.v = readonlyValue; } v: T; map<U>(f: (t: T) => U): Box<U> { return new Box<U>(f(this.v)); } }
const idNum = id<{ n: number }>;
log(id<{ a: number }>({ a: 1 }), new Box<number>(2).map<string>((v) => String(v)).v, typeof idNum);
const m = new Map<string, Array<Map<string, number>>>();
log(m.size);`,
  'as, satisfies, non-null, <T> casts': `
const o = { a: 1 } as const;
const p = { b: 2 } satisfies Record<string, number>;
const q: { r?: { s: number } } = { r: { s: 3 } };
const t = (<any>o).a + q.r!.s + (p as unknown as { b: number }).b;
log(t, o.a as number, [o as object, p satisfies object], \`\${o.a as number}\`, q.r!!.s);
const u = 1 as number ? "yes" : "no";
const v = (q.r as any)?.s ?? 0;
log(u, v, o.a as number === 1, (o.a as number) + 1);
let w: any;
w = <number>o.a;
log(w!);`,
  'interfaces, type aliases, declare statements, overloads': `
interface Attrs { name: string; outs?: string[] }
type Name = string;
declare const injected: number;
declare function helper(x: number): void;
declare global { interface Window { x: number } }
declare module "other" { export const y: number; }
declare enum Mode { A }
declare class Ambient {}
function over(x: string): string;
function over(x: number): number;
function over(x: any): any { return x; }
const attrs: Attrs = { name: over("n") as Name };
log(attrs, over(2));
type Later = Attrs
;[1, 2].forEach((i) => log(i))`,
  'classes: modifiers, implements, index signatures, declare fields, this parameters': `
interface Shape { area(): number }
abstract class Base implements Shape {
  [key: string]: unknown;
  declare kind: string;
  protected readonly sides: number = 0;
  private static count = 0;
  public label?: string;
  override toString(): string { return "base"; }
  abstract area(): number;
  abstract get name(): string;
  constructor() { Base.count++; }
  static made(this: void): number { return Base.count; }
}
class Square extends Base implements Shape, Iterable<number> {
  public override readonly sides = 4;
  side!: number;
  constructor(side: number) { super(); this.side = side; }
  area(): number { return this.side ** 2; }
  get name(): string { return "square"; }
  set name(v: string) {}
  m?(): void {}
  #secret: number = 1;
  static { log("static block"); }
  *[Symbol.iterator](): Iterator<number> { yield this.side; }
  method(this: Square, x: number,): number { return this.#secret + x; }
}
const sq = new Square(3);
log(sq.area(), sq.name, sq.sides, [...sq], Base.made(), sq.method(1), Object.keys(sq), sq.toString());
const Anon = class<T> implements Shape { area(): number { return 0; } };
log(new Anon().area());`,
  'import forms': `
import x, { a, b as c, type T, default as d2 } from "./m";
import * as ns from "./n";
import { unused } from "./unused";
import type { OnlyType } from "./types";
import { type AlsoType } from "./types2";
import def from "xbuild";
import { cmd } from "xbuild";
import "./side";
import {
  p,
  q as r,
} from "./m"
const t: T | OnlyType | AlsoType | undefined = undefined;
log(x, a, c, d2, ns.n, typeof def, def.cmd === cmd, p, r, t);`,
  'imports used only as types or shadowed away are dropped': `
import { a } from "./m";
import def from "./n";
import * as ns from "./side";
const y: typeof a = 1;
let z: def | ns.T;
log(y);`,
  'export declarations': `
export const one = 1, { two, three: [three] } = { two: 2, three: [3] };
export let four = 4;
export var five: number = 5
export function six(): number { return 6; }
export async function seven() { return 7; }
export function* eight() { yield 8; }
export class Nine { n = 9; }
export abstract class Ten { abstract t(): void; }
export interface NotAValue {}
export type AlsoNot = string;
export declare const ambient: number;
log(one, two, three, four, five, six(), new Nine().n);`,
  'export default expression': `export default { a: 1 }\nexport const b = 2;`,
  'export default function': `log(typeof f1);\nexport default function f1() { return 1; }`,
  'export default anonymous function': `export default function <T>(x: T): T { return x; }`,
  'export default anonymous class': `export default abstract class { static s = 1; }`,
  'export default named class': `export default class Named { }\nlog(Named.name);`,
  'export lists and re-exports': `
import { a } from "./m";
import def from "./n";
import * as ns from "./side";
interface I {}
export { local as renamed, fn, I, def, ns, a, a as "a b" };
export { x as y, default, default as z } from "./m";
export * from "./n";
export * as all from "./m";
export type { T } from "./types";
export { type U } from "./types";
export { type W, n } from "./n";
const local = 1;
function fn() { return local; }`,
  'export list before the declaration': `export { k }; const k = { deep: [1] };\nexport { K2 }; class K2 {}`,
  'calls of imported and exported functions': `
import { cmd } from "xbuild";
import f from "./m";
export const g = (x: number) => x + 1;
cmd({ name: "a" });
cmd<{}>({ name: String(g(1)) });
f();
log(cmd.name);`,
  'no semicolons': `
import { cmd } from "xbuild"
const a = 1 as number
type T = string
;(function () { log(a) })()
const b = [a] as number[]
;[b].forEach(() => cmd({ name: "x" }))
export const c = { a }
export default c`,
  'line endings, comments and unicode': `import { cmd } from "xbuild"; // a comment\r\n/* é — ✓ */ const ü: string = "ü"; cmd({ name: ü }); /** doc */\r\ninterface X { a: 1 }\r\nlog(ü)`,
  'generics that span lines': `
function pick<
  T,
  K extends keyof T,
>(o: T, k: K): T[K] {
  return o[k];
}
log(pick<{ a: number }, "a">(
  { a: 1 },
  "a",
));`,
  'class fields named like modifiers, without semicolons': `
class A {
  get: number
  foo() { return 1; }
  static?: string
  bar() { return 2; }
  set!: boolean
  [Symbol.toPrimitive]() { return 3; }
  x = 1
  ;["y"]: number
}
log(Object.getOwnPropertyNames(new A()), Object.getOwnPropertyNames(A.prototype));`,
  'object literal methods and accessors with types': `
const o = {
  m<T>(x: T): T { return x; },
  get g(): number { return 1; },
  set g(v: number) {},
  async a(): Promise<void> {},
};
log(o.m<number>(1), o.g);`,
  'this at the top level, arguments, labels': `
log(this === undefined, typeof arguments);
outer: for (const i of [1, 2]) { for (const j of [1]) { if (i === 2) break outer; log(i, j); } }`,
  'strict mode like ESM': `
let threw = false;
try { (Object.freeze({ a: 1 }) as any).a = 2; } catch { threw = true; }
log(threw);`,
};

/** Snippets that must go to tsc. */
const FALLBACKS: Record<string, string> = {
  enum: `enum E { A }`,
  'const enum': `const enum E { A }`,
  namespace: `namespace N { export const a = 1; }`,
  'parameter properties': `class C { constructor(private x: number) {} }`,
  decorators: `function d(x: any) {} @d class C {}`,
  'import equals': `import fs = require("fs");`,
  'export =': `export = 1;`,
  'syntax error': `cmd({ name: "x" outs: [] });`,
  'JSX-looking code': `const x = <div>hi</div>;`,
  'arrow return type before a line break': `const f = (x: number):\n  number => x;`,
  '<T> at the start of a statement': `<any>{ a: 1 };`,
  'as before a tighter operator': `const a = 1, b = 2; log(a + b as number * 2);`,
  'as before a call on the next line': `const a = log as any\n(1)`,
  'reassigned export': `export let n = 1; n++;`,
  'export reassigned in a function': `export let n = 1; function inc() { n = 2; }`,
  'shadowed import': `import { a } from "./m"; function f(a: number) { return a; }`,
  'dynamic import': `import("./m");`,
  'default and namespace import': `import d, * as ns from "./m"; log(d, ns);`,
  'import attributes': `import data from "./d.json" with { type: "json" }; log(data);`,
  'using declarations': `{ using r = { [Symbol.dispose]() {} }; }`,
  'accessor fields': `class C { accessor x = 1; }`,
  'export as namespace': `export as namespace Lib;`,
  'the helper prefix': `const __xbStar = 1;`,
};

function strip(source: string): StrippedModule {
  let why = '';
  const out = stripTypes(ts, source, (reason) => { why = reason; });
  if (!out) throw new Error(`stripTypes fell back: ${why}`);
  return out;
}

/** What running the code did: calls to log and cmd, modules required, the exports object, the error. */
function observe(code: string) {
  const events: unknown[] = [];
  const required: string[] = [];
  const esModule = (o: Record<string, unknown>) => Object.freeze(Object.defineProperty(o, '__esModule', { value: true }));
  const modules: Record<string, unknown> = {
    xbuild: { cmd: function cmd(attrs: unknown) { events.push(['cmd', summarize(attrs)]); } },
    './m': esModule({ default: function m() { return 'm'; }, a: 'a', b: 'b', p: 'p', q: 'q', x: 'x' }),
    './n': esModule({ n: 'n', default: 'n-default' }),
    './side': { side: true },
    './unused': esModule({ unused: 1 }),
    './types': esModule({}),
    './types2': esModule({}),
  };
  const context = vm.createContext({ log: (...a: unknown[]) => events.push(['log', ...a.map((x) => summarize(x))]) });
  const exports: Record<string, unknown> = {};
  const require = (spec: string) => {
    required.push(spec);
    if (!(spec in modules)) throw new Error(`no module ${spec}`);
    return modules[spec];
  };
  let error: string | undefined;
  try {
    vm.compileFunction(code, ['exports', 'require', 'module'], { parsingContext: context, filename: FILE })(exports, require, { exports });
  } catch (e) {
    error = `${(e as Error).name}: ${(e as Error).message}`;
  }
  const keys = Object.getOwnPropertyNames(exports);
  const shape = keys.map((k) => {
    const d = Object.getOwnPropertyDescriptor(exports, k)!;
    return [k, 'get' in d ? 'getter' : 'value', d.enumerable, summarize(exports[k])];
  });
  return { events, required, shape, error };
}

function summarize(v: unknown, depth = 0): unknown {
  if (typeof v === 'function') return `function ${v.name}/${v.length}`;
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return v;
  if (depth > 3) return '...';
  if (Array.isArray(v)) return v.map((x) => summarize(x, depth + 1));
  return Object.getOwnPropertyNames(v).map((k) => [k, summarize((v as Record<string, unknown>)[k], depth + 1)]);
}

/** Identifiers of the output that are not where the input has them, mapped or not. */
function misplacedIdentifiers(source: string, out: StrippedModule): string[] {
  const inputLines = source.split(/\r\n|[\r\n\u2028\u2029]/);
  const output = ts.createSourceFile('out.js', out.code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const map = new SegmentMap(out.segments);
  const rewrittenLines = new Set(out.segments.map((s) => s[0]));
  const preludeEnd = out.segments.find((s) => s[0] === 0 && s[1] > 0 && s[2] === 0 && s[3] === 0)![1];
  const inserted = /^(require|exports|default|default_1|Object|defineProperty|enumerable|get|__xb\w+)$/;
  // `exports.x = x;` after an exported declaration names what the user wrote elsewhere.
  const exportAssignments = [...out.code.matchAll(/exports(\.[\w$]+|\[[^\]]*\]) = ([\w$]+;)?/g)].map((m) => [m.index, m.index + m[0].length]);
  const at = (line: number, column: number, text: string) => {
    const l = inputLines[line] ?? '';
    return l.startsWith(text, column) && !/[\w$]/.test(l[column + text.length] ?? '') && !/[\w$]/.test(l[column - 1] ?? '');
  };
  const problems: string[] = [];
  const visit = (node: import('typescript').Node) => {
    if (ts.isIdentifier(node)) {
      const pos = output.getLineAndCharacterOfPosition(node.getStart(output));
      const text = node.text;
      if (pos.line === 0 && pos.character < preludeEnd) return;
      if (at(pos.line, pos.character, text)) return;
      const mapped = map.original(pos.line + 1, pos.character + 1);
      if (at(mapped.line - 1, mapped.column - 1, text)) return;
      if (rewrittenLines.has(pos.line) && inserted.test(text)) return;
      if (exportAssignments.some(([from, to]) => node.pos >= from && node.end <= to)) return;
      problems.push(`${text} at ${pos.line + 1}:${pos.character + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(output);
  return problems;
}

describe('stripTypes', () => {
  for (const [name, source] of Object.entries(CORPUS)) {
    it(`runs like tsc's output: ${name}`, () => {
      const fast = strip(source);
      const tsc = transpileWithTsc(FILE, source);
      expect(observe(fast.code)).toEqual(observe(tsc.code));
    });

    it(`keeps identifiers where they were written: ${name}`, () => {
      const fast = strip(source);
      expect(fast.code.split(/\r\n|[\r\n\u2028\u2029]/).length).toBe(source.split(/\r\n|[\r\n\u2028\u2029]/).length);
      expect(misplacedIdentifiers(source, fast)).toEqual([]);
    });
  }

  for (const [name, source] of Object.entries(FALLBACKS)) {
    it(`falls back to tsc: ${name}`, () => {
      expect(stripTypes(ts, source)).toBeUndefined();
    });
  }

  it('puts what was removed back as spaces, with line breaks kept', () => {
    const source = 'const a: {\n  x: number;\n} = { x: 1 };\ninterface I {\n}\n';
    const out = strip(source).code;
    expect(out.slice(out.indexOf('const'))).toBe('const a   \n            \n  = { x: 1 };\n;            \n \n');
  });

  // Error positions as the loader reports them: the innermost frame mapped back to the TypeScript.
  const THROWS: Record<string, string> = {
    'a throw after types': `interface A { x: number }\nfunction f(a: A, b?: number): never { throw new Error("typed " + a.x); }\nf({ x: 1 } as A);`,
    'a call of an imported function (the rule call site)': `import { boom } from "./boom";\n  boom({ name: "x" });`,
    'a call of an exported function on an export line': `import { boom } from "./boom";\nexport const t: unknown = boom({ name: "x" });`,
    'a call of a default import with type arguments': `import boom from "./boom";\nboom<number>(1);`,
    'a property of undefined': `const f: any = undefined;\n   f!.x();`,
    'an error in an arrow function': `const f = (a: number): number => { throw new RangeError("r" + a); };\nexport const r = [1].map((x): number => f(x));`,
    'a bare import that is refused': `\n  import "./refused";`,
    'an optional call of an imported function': `import { boom } from "./boom";\nconst a = 1; boom?.(a);`,
    'new of an imported class': `import { boom } from "./boom";\nconst a = 1;  new boom(a);`,
    'an imported tag': `import { boom } from "./boom";\nconst a = 1;  boom\`x\${a}\`;`,
    'a call in a template inside a call': `import { boom } from "./boom";\nconsole.log(\`\${boom()}\`);`,
  };
  for (const [name, source] of Object.entries(THROWS)) {
    it(`maps an error to where tsc's source map put it: ${name}`, () => {
      const position = (code: string, map: { original(l: number, c: number): { line: number; column: number } }) => {
        const boom = function boom() { throw new Error('boom'); };
        const modules: Record<string, unknown> = { './boom': Object.freeze(Object.defineProperty({ boom, default: boom }, '__esModule', { value: true })) };
        const require = (spec: string) => {
          if (!(spec in modules)) throw new Error(`refused ${spec}`);
          return modules[spec];
        };
        try {
          vm.compileFunction(code, ['exports', 'require', 'module'], { filename: FILE, parsingContext: vm.createContext({}) })({}, require, {});
        } catch (e) {
          const frame = /\/virtual\/pkg\/BUILD\.ts:(\d+):(\d+)/.exec((e as Error).stack ?? '');
          return frame ? map.original(Number(frame[1]), Number(frame[2])) : 'no frame';
        }
        return 'no error';
      };
      const fast = strip(source);
      const tsc = transpileWithTsc(FILE, source);
      if (tsc.by !== 'tsc') throw new Error('expected tsc output');
      expect(position(fast.code, new SegmentMap(fast.segments))).toEqual(position(tsc.code, new SourceMap(tsc.mappings)));
    });
  }
});

describe('the loader on the fast path', () => {
  /** The message of the error a package's BUILD.ts throws. */
  function thrownBy(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'xbuild-strip-'));
    try {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      new Loader(root, {}).loadPackage('a');
      return 'nothing thrown';
    } catch (e) {
      return e instanceof DiagnosticError ? e.diagnostics[0].message : String(e);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }

  it('reads the bindings of a module still being evaluated when used, as ES modules (and tsc) do', () => {
    expect(thrownBy({
      'defs/common.ts': 'import { helper } from "./util";\nexport const FLAGS: string[] = ["-O2"];\nexport const run = () => helper();\n',
      'defs/util.ts': 'import { FLAGS } from "./common";\nexport function helper(): string { return FLAGS.join(" "); }\n',
      'a/BUILD.ts': 'import { run } from "../defs/common";\nthrow new Error("flags: " + run());',
    })).toBe('flags: -O2');
  });

  it('lets V8 reject through tsc what only V8 checks', () => {
    expect(thrownBy({ 'a/BUILD.ts': 'const x: number = 1;\nawait x;' })).toMatch(/SyntaxError: await is only valid/);
  });
});
