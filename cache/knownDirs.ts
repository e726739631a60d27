/**
 * Directories known to exist. A hot path that moves files into a few directories makes each
 * one once per process instead of once per file (mkdir is slow on these disks); a move that
 * finds its directory gone (removed meanwhile by another process, or by the user) makes it
 * again and retries once.
 */
import { mkdirSync } from 'node:fs';

export class KnownDirs {
  private readonly made = new Set<string>();

  /** Runs `move` (a rename into `dir`), making `dir` first unless it is known to exist. */
  moveInto(dir: string, move: () => void): void {
    if (!this.made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.made.add(dir);
    }
    try {
      move();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(dir, { recursive: true });
      move();
    }
  }
}
