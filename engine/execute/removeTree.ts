/** Deleting trees: output trees that xbuild made read-only, and what dead xbuild processes left. */
import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isProcessAlive } from '../../cache/processAlive.js';

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

/** The names in `dir`, or none when it cannot be read. */
export function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether `name` holds (as the first group of `pidIn`) the pid of another process, now gone. */
export function leftByDeadProcess(name: string, pidIn: RegExp): boolean {
  const pid = Number(pidIn.exec(name)?.[1]);
  return pid > 0 && pid !== process.pid && !isProcessAlive(pid);
}

/** Removes the entries of `dir` that `leftByDeadProcess` says dead processes left. */
export function removeLeftovers(dir: string, pidIn: RegExp): void {
  for (const n of listDir(dir)) if (leftByDeadProcess(n, pidIn)) removeTree(join(dir, n));
}
