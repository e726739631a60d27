/**
 * Sandbox directories: each action runs in a directory holding its exec root (declared inputs
 * only) and a private scratch folder (HOME and TMPDIR).
 *
 * On these disks (ext4 mounted with `discard`) directory operations dominate an action's own
 * cost: during a build a mkdir takes ~300 µs and an rmdir ~100 µs (inode allocation and
 * freeing), while renaming an empty directory takes ~10 µs. So a sandbox is reused by the next
 * action once its command is done, as Bazel's `--reuse_sandbox_directories` does: files the
 * last action left are deleted, directories the next one needs are only emptied, and the
 * others are emptied and renamed straight to a directory the next action needs, or parked in
 * the build's spare pool (`SpareDirs`, outside every sandbox) for a later one, instead of a
 * mkdir. The next action therefore sees exactly its own inputs, as in a fresh directory. A
 * sandbox that cannot be cleaned (e.g. read-only directories as non-root) is thrown away.
 *
 * With an `owner` (the sandbox uid, engine/execute/isolation.ts), every directory made here belongs to
 * it, so the command can write its outputs and scratch files; the files staged into them
 * (inputs) stay xbuild's and read-only. Directories of a claimed sandbox (made by another
 * process, maybe with another owner) are given to the owner on first use.
 */
import { spawn } from 'node:child_process';
import { lchownSync, mkdirSync, readdirSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { leftByDeadProcess, listDir, removeTree } from './removeTree.js';

/**
 * Empty directories of one build's sandboxes, parked for reuse in a directory beside them (so
 * no command sees them and clearing a sandbox never reads them back). Which ones are free is
 * known from memory. They all belong to the sandboxes' owner. A pool a killed build left is
 * named like a sandbox of its dead pid (`<pid>-spares`), so the next build claims and clears it
 * as one.
 */
export class SpareDirs {
  private readonly free: string[] = [];
  private counter = 0;
  private made = false;
  private static readonly MAX = 1024;

  constructor(readonly dir: string) {}

  /** A parked directory, no longer in the pool (the caller renames it into place). */
  take(): string | undefined {
    return this.free.pop();
  }

  /** Parks an empty directory `abs`; false (left where it is) when the pool is full. */
  park(abs: string): boolean {
    if (this.free.length >= SpareDirs.MAX) return false;
    if (!this.made) {
      mkdirSync(this.dir, { recursive: true });
      this.made = true;
    }
    const to = join(this.dir, String(++this.counter));
    renameSync(abs, to);
    this.free.push(to);
    return true;
  }

  /** Removes the pool (its directories are empty) at the end of the build. */
  drain(): void {
    if (!this.made) return;
    removeTree(this.dir);
    this.free.length = 0;
    this.made = false;
  }
}

/** One sandbox directory; `prepare` gives it exactly the (empty) directories an action needs. */
export class Sandbox {
  readonly execroot: string;
  /** HOME and TMPDIR of the action. */
  readonly scratch: string;
  /** Directories that exist inside, besides `dir` itself. */
  private readonly dirs = new Set<string>();
  /** Whether `prepare` must clear it first. */
  private used: boolean;

  /**
   * `claimed`: taken over from another build, with unknown content and owners (cleared, and
   * given to `owner`, on first use).
   * `spares`: where directories no action needs wait (the build's pool; by default one of its own).
   */
  constructor(readonly dir: string, private claimed = false, private readonly owner?: number, private readonly spares = new SpareDirs(`${dir}-spares`)) {
    this.used = claimed;
    this.execroot = join(dir, 'execroot');
    this.scratch = join(dir, 'tmp');
  }

  /**
   * Empties the sandbox, keeping only the directories in `needed` (absolute, under `dir`; their
   * parents are implied), then creates whichever of them are missing: an emptied directory of
   * ours renamed into place (from where it is, else from the spare pool), else one mkdir.
   */
  prepare(needed: Iterable<string>): void {
    const keep = new Set<string>([this.execroot, this.scratch]);
    for (const d of needed) {
      for (let p = d; p.length > this.dir.length && !keep.has(p); p = dirname(p)) keep.add(p);
    }
    // Emptied directories of ours that this action does not need, still where they were; a
    // nested one comes before its parent, so taking them in order never moves a non-empty one.
    const loose: string[] = [];
    if (this.used) {
      // What is there now is what the walk finds: the last action may have deleted directories.
      const ours = new Set(this.dirs);
      this.dirs.clear();
      this.clear(this.dir, keep, ours, loose);
    }
    this.used = true;
    if (this.claimed && this.owner !== undefined) {
      for (const d of [this.dir, ...this.dirs]) lchownSync(d, this.owner, this.owner);
    }
    this.claimed = false;
    let next = 0;
    for (const d of [...keep].sort((a, b) => a.length - b.length)) {
      if (this.dirs.has(d)) continue;
      this.make(d, next < loose.length ? loose[next++] : this.spares.take());
    }
    for (; next < loose.length; next++) if (!this.spares.park(loose[next])) rmdirSync(loose[next]);
  }

  /** Makes `abs` from an empty directory of ours (`from`), else with mkdir. */
  private make(abs: string, from: string | undefined): void {
    try {
      if (from) renameSync(from, abs);
      else {
        mkdirSync(abs);
        if (this.owner !== undefined) lchownSync(abs, this.owner, this.owner);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    this.dirs.add(abs);
  }

  /**
   * Deletes the files inside `dir` and empties its directories: those in `keep` stay, other
   * directories we made are emptied and listed in `loose`, the rest (made by the action) are removed.
   */
  private clear(dir: string, keep: ReadonlySet<string>, ours: ReadonlySet<string>, loose: string[]): void {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (!ent.isDirectory()) {
        unlinkSync(p);
        continue;
      }
      this.clear(p, keep, ours, loose);
      if (keep.has(p)) this.dirs.add(p);
      else if (ours.has(p)) loose.push(p);
      else rmdirSync(p);
    }
  }
}

/** Where a cache keeps its sandboxes and its shell workers' directories. */
export function sandboxesDir(cacheDir: string): string {
  return join(cacheDir, 'sandbox');
}

/**
 * The sandboxes of one build. They outlive it: at the end each is renamed to `spare-*`, and the
 * next build (this or another process) claims spares by renaming them to its own name, which
 * only one claimant can win. Sandboxes of killed builds are claimed the same way. So a build
 * neither creates nor deletes whole sandboxes in the steady state.
 */
export class Sandboxes {
  private readonly free: Sandbox[] = [];
  private readonly all = new Set<Sandbox>();
  private counter = 0;
  private claimable?: string[];
  private readonly spares: SpareDirs;

  /** `owner`: the uid (and gid) the sandboxes' directories belong to, when not xbuild's own. */
  constructor(private readonly base: string, private readonly reuse = true, private readonly owner?: number) {
    mkdirSync(base, { recursive: true });
    this.spares = new SpareDirs(join(base, `${process.pid}-spares`));
  }

  /**
   * A sandbox ready for `prepare`: a free one, else a spare or a dead build's sandbox taken over
   * (its content is unknown, so `prepare` clears it all), else a new directory.
   */
  acquire(): Sandbox {
    if (this.reuse && this.free.length) return this.free.pop()!;
    this.claimable ??= this.reuse ? listDir(this.base).filter((n) => n.startsWith('spare-') || leftByDeadProcess(n, /^(\d+)-/)).map((n) => join(this.base, n)) : [];
    for (;;) {
      const dir = join(this.base, `${process.pid}-${++this.counter}`);
      const claimed = this.claimable.pop();
      if (claimed) {
        try {
          renameSync(claimed, dir);
        } catch {
          continue; // another build claimed it first
        }
      } else {
        try {
          mkdirSync(dir);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
          removeTree(dir);
          mkdirSync(dir);
        }
        if (this.owner !== undefined) lchownSync(dir, this.owner, this.owner);
      }
      const sb = new Sandbox(dir, claimed !== undefined, this.owner, this.spares);
      this.all.add(sb);
      return sb;
    }
  }

  /** Gives a sandbox back after its action; `broken` ones (could not be cleaned) are deleted. */
  release(sb: Sandbox, broken = false): void {
    if (!this.reuse) return;
    if (broken) {
      this.all.delete(sb);
      void removeInBackground(sb.dir);
    } else this.free.push(sb);
  }

  /** Parks this build's sandboxes as spares for the next build (kept ones stay, for debugging). */
  async drain(): Promise<void> {
    if (!this.reuse) return;
    for (const sb of this.all) {
      try {
        renameSync(sb.dir, join(this.base, `spare-${process.pid}-${randomBytes(4).toString('hex')}`));
      } catch {
        await removeInBackground(sb.dir);
      }
    }
    this.all.clear();
    this.free.length = 0;
    this.spares.drain();
  }
}

/** `rm -rf` in another process; whatever it could not remove (read-only dirs as non-root) goes through removeTree. */
function removeInBackground(dir: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('/bin/rm', ['-rf', '--', dir], { stdio: 'ignore' });
    const fallback = () => {
      removeTree(dir);
      resolve();
    };
    child.on('error', fallback);
    child.on('exit', (code) => (code === 0 ? resolve() : fallback()));
  });
}
