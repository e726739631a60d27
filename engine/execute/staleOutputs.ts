/**
 * Files in `xbuild-out/` that no action declares: outputs of targets since deleted or renamed,
 * and the temp files (`<out>.tmp-<hex>`) and parked old directories (`<out>.old-<hex>`) a killed
 * xbuild left while replacing an output. A build must not be able to read a stale output by
 * accident (an undeclared input is only caught by the sandbox), so they are removed:
 * - `removeJunk`: only the temp and parked names, at the start of a build that took the
 *   workspace over from a killed one (only one xbuild writes a workspace's output tree at a
 *   time, so whatever such a name is there then was left by a dead process);
 * - `removeStale`: everything undeclared, when every target of the workspace is known (a build
 *   of `//...`, or `xbuild clean --stale`).
 * Declared outputs are never touched, even when their name looks like junk.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeTree } from './removeTree.js';

/** The name of a temp file or parked directory of the executor (see executor.ts). */
const JUNK_RE = /\.(?:tmp|old)-[0-9a-f]{8}$/;

/**
 * Removes from `<root>/xbuild-out` what `declared` does not name: with `onlyJunk`, only temp and
 * parked names. `declared` holds workspace-relative paths of every declared output (files and
 * directories); a declared directory is kept whole. Returns the workspace-relative paths removed.
 */
export function removeUndeclared(root: string, declared: ReadonlySet<string>, onlyJunk: boolean): { readonly removed: readonly string[] } {
  const ancestors = new Set<string>();
  for (const p of declared) for (let i = p.indexOf('/'); i >= 0; i = p.indexOf('/', i + 1)) ancestors.add(p.slice(0, i));
  const removed: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(root, rel));
    } catch {
      return;
    }
    for (const name of names) {
      const p = `${rel}/${name}`;
      if (declared.has(p)) continue;
      let isDir = false;
      try {
        isDir = lstatSync(join(root, p)).isDirectory();
      } catch {
        continue;
      }
      // A directory holding declared outputs is walked into; with `onlyJunk`, every other one too.
      if (!JUNK_RE.test(name) && ((isDir && ancestors.has(p)) || onlyJunk)) {
        if (isDir) walk(p);
        continue;
      }
      removeTree(join(root, p));
      removed.push(p);
    }
  };
  walk('xbuild-out');
  return { removed };
}
