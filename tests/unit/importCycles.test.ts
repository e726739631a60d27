// xbuild's own modules import each other in one direction: no cycle, not even through a
// type-only import (a cycle hides which module is the lower layer; issue 16). Relative imports
// and re-exports of engine/, cli/, cache/, lock/, serve/ and rules/ are read as text.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as graphlib from '@dagrejs/graphlib';

const REPO = join(__dirname, '..', '..');
const DIRS = ['engine', 'cli', 'cache', 'lock', 'serve', 'rules'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') && !path.endsWith('BUILD.ts') ? [path] : [];
  });
}

describe('module imports', () => {
  it('form no cycle', () => {
    const g = new graphlib.Graph();
    for (const file of DIRS.flatMap((d) => tsFiles(join(REPO, d)))) {
      const from = relative(REPO, file);
      g.setNode(from);
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/gm)) {
        g.setEdge(from, relative(REPO, resolve(dirname(file), m[1].replace(/\.js$/, '.ts'))));
      }
    }
    expect(g.edgeCount()).toBeGreaterThan(200);
    expect(graphlib.alg.findCycles(g)).toEqual([]);
  });
});
