// Runs the stripTypes test corpus (tests/unit/stripTypes.test.ts) through sucrase and esbuild:
// behaviour against tsc's output, runtime error positions against tsc's source map, syntax error
// positions against what the loader reports now.
import { fileURLToPath } from 'node:url';
const W = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
import vm from 'node:vm';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { viaSucrase, viaEsbuild } from './candidates.mjs';
const { transpileWithTsc, Loader } = await import(W + '/dist/engine/load/loader.js');
const { SourceMap } = await import(W + '/dist/engine/load/sourceMap.js');
const { stripTypes, SegmentMap } = await import(W + '/dist/engine/load/stripTypes.js');
const { DiagnosticError } = await import(W + '/dist/engine/report/diagnostics.js');
const { createRequire } = await import('node:module');
const ts = createRequire(W + '/package.json')('@ts-morph/common').ts;

const testText = readFileSync(W + '/tests/unit/stripTypes.test.ts', 'utf8');
function literal(name) {
  const start = testText.indexOf(`const ${name}`);
  const open = testText.indexOf('{', testText.indexOf('=', start));
  const re = /\n\s*\};\n/g; re.lastIndex = open; let m;
  while ((m = re.exec(testText))) {
    try { return new Function(`return ${testText.slice(open, m.index + m[0].indexOf('}') + 1)}`)(); } catch {}
  }
  throw new Error('no ' + name);
}
const CORPUS = literal('CORPUS'), FALLBACKS = literal('FALLBACKS'), THROWS = literal('THROWS');
const FILE = '/virtual/pkg/BUILD.ts';

function summarize(v, depth = 0) {
  if (typeof v === 'function') return `function ${v.name}/${v.length}`;
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return v;
  if (depth > 3) return '...';
  if (Array.isArray(v)) return v.map((x) => summarize(x, depth + 1));
  return Object.getOwnPropertyNames(v).map((k) => [k, summarize(v[k], depth + 1)]);
}
function observe(code) {
  const events = [], required = [];
  const esModule = (o) => Object.freeze(Object.defineProperty(o, '__esModule', { value: true }));
  const modules = {
    xbuild: { cmd: function cmd(attrs) { events.push(['cmd', summarize(attrs)]); } },
    './m': esModule({ default: function m() { return 'm'; }, a: 'a', b: 'b', p: 'p', q: 'q', x: 'x' }),
    './n': esModule({ n: 'n', default: 'n-default' }),
    './side': { side: true }, './unused': esModule({ unused: 1 }), './types': esModule({}), './types2': esModule({}),
    './d.json': { a: 1 }, fs: { fs: 1 },
  };
  const context = vm.createContext({ log: (...a) => events.push(['log', ...a.map((x) => summarize(x))]) });
  const module = { exports: {} };
  const require = (spec) => { required.push(spec); if (!(spec in modules)) throw new Error(`no module ${spec}`); return modules[spec]; };
  let error;
  try {
    vm.compileFunction(code, ['exports', 'require', 'module'], { parsingContext: context, filename: FILE })(module.exports, require, module);
  } catch (e) { error = `${e.name}: ${e.message}`; }
  const exports = module.exports;
  const keys = Object.getOwnPropertyNames(exports);
  const shape = keys.map((k) => { const d = Object.getOwnPropertyDescriptor(exports, k); return [k, 'get' in d ? 'getter' : 'value', d.enumerable, summarize(exports[k])]; });
  const values = keys.filter((k) => k !== '__esModule').sort().map((k) => [k, summarize(exports[k])]);
  return { events, required, shape, values, error };
}
process.on("unhandledRejection", () => {});
const J = JSON.stringify;
const candidates = { sucrase: viaSucrase, esbuild: viaEsbuild };
const report = {};
for (const [cname, fn] of Object.entries(candidates)) {
  const r = report[cname] = { behaviour: [0, 0], exactShape: [0, 0], fallbacksBehave: [0, 0], throws: [0, 0], syntax: [0, 0], notes: [] };
  for (const [name, source] of Object.entries(CORPUS)) {
    const ref = observe(transpileWithTsc(FILE, source).code);
    const out = fn(FILE, source);
    if (out.syntaxError) { r.behaviour[1]++; r.exactShape[1]++; r.notes.push(`CORPUS ${name}: syntax error ${out.syntaxError.message}`); continue; }
    const got = observe(out.code);
    const same = J(got.events) === J(ref.events) && J(got.required) === J(ref.required) && J(got.values) === J(ref.values) && got.error === ref.error;
    r.behaviour[1]++; if (same) r.behaviour[0]++; else r.notes.push(`CORPUS ${name}: ${J({ events: J(got.events) === J(ref.events), required: [got.required, ref.required], values: J(got.values) === J(ref.values), error: [got.error, ref.error] })}`);
    r.exactShape[1]++; if (same && J(got.shape) === J(ref.shape)) r.exactShape[0]++;
  }
  for (const [name, source] of Object.entries(FALLBACKS)) {
    if (name === 'syntax error' || name === 'JSX-looking code') continue;
    let refOut; try { refOut = observe(transpileWithTsc(FILE, source).code); } catch (e) { refOut = { error: 'tsc: ' + e.message }; }
    const out = fn(FILE, source);
    r.fallbacksBehave[1]++;
    if (out.syntaxError) { r.notes.push(`FALLBACK ${name}: refused: ${out.syntaxError.message}`); continue; }
    const got = observe(out.code);
    const same = J(got.events) === J(refOut.events) && J(got.required) === J(refOut.required) && J(got.values) === J(refOut.values) && got.error === refOut.error;
    if (same) r.fallbacksBehave[0]++; else r.notes.push(`FALLBACK ${name}: differs ${J({ got: [got.events, got.required, got.values, got.error], tsc: [refOut.events, refOut.required, refOut.values, refOut.error] })}`);
  }
  const position = (code, map) => {
    const boom = function boom() { throw new Error('boom'); };
    const modules = { './boom': Object.freeze(Object.defineProperty({ boom, default: boom }, '__esModule', { value: true })) };
    const require = (spec) => { if (!(spec in modules)) throw new Error(`refused ${spec}`); return modules[spec]; };
    const module = { exports: {} };
    try { vm.compileFunction(code, ['exports', 'require', 'module'], { filename: FILE, parsingContext: vm.createContext({}) })(module.exports, require, module); }
    catch (e) { const f = /\/virtual\/pkg\/BUILD\.ts:(\d+):(\d+)/.exec(e.stack ?? ''); return f ? map.original(Number(f[1]), Number(f[2])) : 'no frame'; }
    return 'no error';
  };
  for (const [name, source] of Object.entries(THROWS)) {
    const tsc = transpileWithTsc(FILE, source);
    const ref = position(tsc.code, new SourceMap(tsc.mappings));
    const out = fn(FILE, source);
    const got = position(out.code, out.map());
    r.throws[1]++; if (J(got) === J(ref)) r.throws[0]++; else r.notes.push(`THROW ${name}: ${J(got)} vs tsc ${J(ref)}`);
  }
  report[cname] = r;
}
// Syntax errors: the loader's reported position now, against the candidate's (its own error, or V8's on its output mapped back).
const SYNTAX = {
  'missing comma (loading.test)': `import { cmd } from "xbuild";\ncmd({ name: "x", outs: ["x"] cmd: "true" });`,
  'missing comma (stripTypes corpus)': `cmd({ name: "x" outs: [] });`,
  'unclosed call': `import { cmd } from "xbuild";\nconst a: number = 1;\ncmd({ name: "x" ;\n`,
  'unterminated string': `const a: string = "abc;\nlog(a);`,
  'missing closing brace': `function f(x: number) {\n  return x;\n\nlog(f(1));\n`,
  'stray token after types': `const a: number = 1;\nconst b = a +* 2;\n`,
  'reserved word as name': `const a: number = 1;\n  let class = 2;\n`,
  'duplicate let (V8 only)': `const a: number = 1;\nlet b = 1;\n  let b = 2;\n`,
  'top-level await (V8 only)': `const x: number = 1;\n\n  await x;\n`,
  'bad regex': `const a: RegExp = /(/;\n`,
  'octal in strict mode': `const a: number = 1;\n  const b = 017;\n`,
  'with in strict mode': `const o: object = {};\n  with (o) {}\n`,
  'delete of identifier': `let a: number = 1;\n  delete a;\n`,
  'break outside loop': `const a: number = 1;\n  break;\n`,
  'JSX-looking code': `const x = <div>hi</div>;`,
};
function loaderPosition(source) {
  const root = mkdtempSync(join(tmpdir(), 'libs16-syn-'));
  try {
    mkdirSync(join(root, 'a')); writeFileSync(join(root, 'a/BUILD.ts'), source);
    new Loader(root, {}).loadPackage('a');
    return 'no error';
  } catch (e) {
    if (!(e instanceof DiagnosticError)) return 'threw ' + e.message;
    const d = e.diagnostics[0]; return { line: d.location?.line, column: d.location?.column, message: d.message.slice(0, 70) };
  } finally { rmSync(root, { recursive: true, force: true }); }
}
function v8Position(code, map) {
  try { vm.compileFunction(code, ['exports', 'require', 'module'], { filename: FILE }); return 'compiled'; }
  catch (e) {
    const lines = String(e.stack).split('\n');
    const m = /:(\d+)$/.exec(lines[0]);
    const caret = lines[2]?.indexOf('^');
    if (!m) return { message: e.message };
    const pos = map.original(Number(m[1]), (caret ?? 0) + 1);
    return { line: pos.line, column: pos.column, message: 'V8: ' + e.message.slice(0, 60) };
  }
}
const syntax = [];
for (const [name, source] of Object.entries(SYNTAX)) {
  const ref = loaderPosition(source);
  const row = { name, loader: ref };
  for (const [cname, fn] of Object.entries(candidates)) {
    const out = fn(FILE, source);
    const got = out.syntaxError ? { line: out.syntaxError.line, column: out.syntaxError.column, message: out.syntaxError.message.slice(0, 70) } : v8Position(out.code, out.map());
    row[cname] = got;
    report[cname].syntax[1]++;
    if (got.line === ref.line && got.column === ref.column) report[cname].syntax[0]++;
    else if (got.line === ref.line) { report[cname].syntaxSameLine = (report[cname].syntaxSameLine ?? 0) + 1; report[cname].notes.push(`SYNTAX ${name}: ${J(got)} vs loader ${J(ref)}`); }
    else report[cname].notes.push(`SYNTAX ${name}: ${J(got)} vs loader ${J(ref)}`);
  }
  syntax.push(row);
}
for (const [c, r] of Object.entries(report)) {
  console.log(`\n== ${c}: behaves like tsc ${r.behaviour.join('/')}, same exports shape ${r.exactShape.join('/')}, stripTypes-fallback snippets like tsc ${r.fallbacksBehave.join('/')}, runtime throw position = tsc's ${r.throws.join('/')}, syntax error at the loader's line:col ${r.syntax.join('/')} (same line, other column: ${r.syntaxSameLine ?? 0})`);
  for (const n of r.notes) console.log('  - ' + n);
}
console.log('\n== syntax positions');
for (const row of syntax) console.log(J(row));
