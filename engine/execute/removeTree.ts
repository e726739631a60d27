/** Deleting output trees that xbuild made read-only. */
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** Removes a tree even where read-only directories would stop a non-root user. */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    const makeWritable = (p: string) => {
      try {
        const st = lstatSync(p);
        if (st.isDirectory()) {
          chmodSync(p, 0o755);
          for (const n of readdirSync(p)) makeWritable(join(p, n));
        }
      } catch { /* gone */ }
    };
    makeWritable(path);
    rmSync(path, { recursive: true, force: true });
  }
}


