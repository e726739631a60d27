// The two candidate transpilers as the loader would use them: CommonJS code starting with
// "use strict", a PositionMap from their source map, and syntax errors as {message,line,column}.
import { fileURLToPath } from 'node:url';
const W = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
import { createRequire } from 'node:module';
const require = createRequire(W + '/package.json');
const sucrase = require('sucrase');
const esbuild = require('esbuild');
const { SourceMap } = await import(W + '/dist/engine/load/sourceMap.js');

export function viaSucrase(file, source) {
  try {
    const r = sucrase.transform(source, { transforms: ['typescript', 'imports'], filePath: file, sourceMapOptions: { compiledFilename: 'BUILD.js' } });
    return { code: r.code, mappings: r.sourceMap.mappings, map: () => new SourceMap(r.sourceMap.mappings) };
  } catch (e) {
    if (!e.loc) return { syntaxError: { message: 'unsupported: ' + e.message } };
    return { syntaxError: { message: e.message, line: e.loc.line, column: e.loc.column } };
  }
}
export function viaEsbuild(file, source) {
  try {
    const r = esbuild.transformSync(source, { loader: 'ts', format: 'cjs', target: 'es2022', sourcemap: 'external', sourcefile: file, banner: '"use strict";' });
    const mappings = JSON.parse(r.map).mappings;
    return { code: r.code, mappings, map: () => new SourceMap(mappings) };
  } catch (e) {
    if (!e.errors) throw e;
    const l = e.errors[0].location;
    return { syntaxError: { message: e.errors[0].text, line: l?.line, column: l ? l.column + 1 : undefined } };
  }
}
// Pure-JS: only sucrase's transform; raw, without map building, for throughput.
export const raw = {
  sucrase: (file, source) => sucrase.transform(source, { transforms: ['typescript', 'imports'], filePath: file, sourceMapOptions: { compiledFilename: 'BUILD.js' } }).code,
  esbuild: (file, source) => esbuild.transformSync(source, { loader: 'ts', format: 'cjs', target: 'es2022', sourcemap: 'external', sourcefile: file, banner: '"use strict";' }).code,
};
