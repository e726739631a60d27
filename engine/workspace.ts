/**
 * The workspace on disk: its root (the outermost directory above the current one holding a
 * BUILD.ts), the output tree `xbuild-out/`, the state folder `.xbuild/` (logs, lock), and the
 * cache folder (blob store, database, sandboxes, persistent dirs), which defaults to
 * `$XBUILD_CACHE_DIR`, else `$XDG_CACHE_HOME/xbuild`, else `~/.cache/xbuild`. The cache is
 * content-addressed, so several workspaces may share it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, linkSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { homedir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { isProcessAlive } from '../cache/processAlive.js';
/** The output tree, relative to the workspace root. */
export const OUT_DIR = 'xbuild-out';

export interface WorkspacePaths {
  readonly root: string;
  readonly outDir: string;
  readonly stateDir: string;
  readonly logDir: string;
  readonly cacheDir: string;
}

/**
 * The name of an action's log in `.xbuild/logs/` (`<package>__<target>.<n>.<Mnemonic>.log`).
 * The executor writes it; `xbuild serve` serves only names made by this function from a build's
 * own records.
 */
export function actionLogName(label: string, id: string, mnemonic: string): string {
  const safe = label.replace(/^\/\//, '').replace(/[:/]/g, '__');
  return `${safe}.${id.slice(id.lastIndexOf('#') + 1)}.${mnemonic}.log`;
}

export function findWorkspaceRoot(start: string): string | undefined {
  let dir = resolve(start);
  let found: string | undefined;
  for (;;) {
    if (existsSync(join(dir, 'BUILD.ts'))) found = dir;
    const parent = dirname(dir);
    if (parent === dir) return found;
    dir = parent;
  }
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XBUILD_CACHE_DIR) return resolve(env.XBUILD_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'xbuild');
}

export function workspacePaths(root: string, cacheDir: string): WorkspacePaths {
  const stateDir = join(root, '.xbuild');
  return { root, outDir: join(root, OUT_DIR), stateDir, logDir: join(stateDir, 'logs'), cacheDir };
}

/**
 * An inter-process lock held as a file containing the holder's pid. A lock whose holder is no
 * longer alive (kill -9) is taken over. Creation is atomic (link of a private temp file).
 */
export class PidLock {
  private held = false;
  constructor(readonly path: string) {}

  /** Tries once; returns the pid of the live holder when the lock is taken. */
  tryAcquire(): number | undefined {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, String(process.pid));
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(tmp, this.path);
          this.held = true;
          return undefined;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = readHolder(this.path);
        if (holder !== undefined && holder !== process.pid && isProcessAlive(holder)) return holder;
        // Stale (holder died) or unreadable: remove it only if it is still the same file.
        try {
          const before = statSync(this.path).ino;
          if (readHolder(this.path) === holder && statSync(this.path).ino === before) rmSync(this.path, { force: true });
        } catch { /* someone else removed it */ }
      }
      return readHolder(this.path) ?? -1;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async acquire(onWait: (holder: number) => void, timeoutMs = 24 * 3600_000): Promise<void> {
    const start = Date.now();
    let told = false;
    for (;;) {
      const holder = this.tryAcquire();
      if (holder === undefined) return;
      if (!told) {
        onWait(holder);
        told = true;
      }
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for lock ${this.path} held by pid ${holder}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  release(): void {
    if (!this.held) return;
    if (readHolder(this.path) === process.pid) rmSync(this.path, { force: true });
    this.held = false;
  }
}

function readHolder(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

