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
import { currentProcess, formatIdentity, isAlive, parseIdentity, type ProcessIdentity } from '../cache/processAlive.js';
/** The output tree, relative to the workspace root. */
export const OUT_DIR = 'xbuild-out';

/** Directories no package walk enters: dependencies, outputs, xbuild's state, git's. */
export const IGNORED_DIRS: ReadonlySet<string> = new Set(['node_modules', OUT_DIR, 'dist', '.git', '.xbuild']);

/** The entries of a directory that package walks look at (not dot-files, not output trees). */
export function relevantEntries(names: readonly string[]): string[] {
  return names.filter((n) => !n.startsWith('.') && !IGNORED_DIRS.has(n)).sort();
}

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
  return `${actionLogPrefix(label)}${id.slice(id.lastIndexOf('#') + 1)}.${mnemonic}.log`;
}

/** What every log name of a target's actions starts with (`xbuild report` lists them by it). */
export function actionLogPrefix(label: string): string {
  return `${label.replace(/^\/\//, '').replace(/[:/]/g, '__')}.`;
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
 * An inter-process lock held as a file naming its holder (`ProcessIdentity`: pid and start
 * time). A lock whose holder is gone is taken over: killed (`kill -9`), a zombie its parent never
 * reaps, or a pid now reused by another process. Creation is atomic (link of a private temp file).
 */
export class PidLock {
  private held = false;
  /** Whether the last successful acquire took the lock over from a holder that had died. */
  tookOver = false;
  constructor(readonly path: string) {}

  /** Tries once; returns the pid of the live holder when the lock is taken. */
  tryAcquire(): number | undefined {
    mkdirSync(dirname(this.path), { recursive: true });
    const me = currentProcess();
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, formatIdentity(me));
    let staleSeen = false;
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(tmp, this.path);
          this.held = true;
          this.tookOver = staleSeen;
          return undefined;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const holder = readHolder(this.path);
        if (holder !== undefined && !sameProcess(holder, me) && isAlive(holder)) return holder.pid;
        // Stale (holder died) or unreadable: remove it only if it is still the same file.
        staleSeen = true;
        try {
          const before = statSync(this.path).ino;
          const again = readHolder(this.path);
          if (again?.pid === holder?.pid && again?.start === holder?.start && statSync(this.path).ino === before) rmSync(this.path, { force: true });
        } catch { /* someone else removed it */ }
      }
      return readHolder(this.path)?.pid ?? -1;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async acquire(onWait: (holder: number) => void, timeoutMs = 24 * 3600_000): Promise<void> {
    const start = Date.now();
    for (let waited = false; ; waited = true) {
      const holder = this.tryAcquire();
      if (holder === undefined) return;
      if (!waited) onWait(holder);
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for lock ${this.path} held by pid ${holder}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  release(): void {
    if (!this.held) return;
    const holder = readHolder(this.path);
    if (holder && sameProcess(holder, currentProcess())) rmSync(this.path, { force: true });
    this.held = false;
  }
}

function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && (a.start === undefined || b.start === undefined || a.start === b.start);
}

function readHolder(path: string): ProcessIdentity | undefined {
  try {
    return parseIdentity(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
