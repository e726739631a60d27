/**
 * Sandbox directories: each action runs in a directory holding its exec root (declared inputs
 * only) and a private scratch folder (HOME and TMPDIR).
 *
 * On these disks (ext4 mounted with `discard`) directory operations dominate an action's own
 * cost: during a build a mkdir takes ~300 µs and an rmdir ~100 µs (inode allocation and
 * freeing), while renaming an empty directory takes ~10 µs. So a sandbox is reused by the next
 * action once its command is done, as Bazel's `--reuse_sandbox_directories` does: files the
 * last action left are deleted, directories the next one needs are only emptied, and the
 * others are emptied and parked in `spare/`, to be renamed into place instead of a mkdir. The
 * next action therefore sees exactly its own inputs, as in a fresh directory. A sandbox that
 * cannot be cleaned (e.g. read-only directories as non-root) is thrown away.
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
import { isProcessAlive } from '../../cache/processAlive.js';
import { removeTree } from './removeTree.js';

/** One sandbox directory; `prepare` gives it exactly the (empty) directories an action needs. */
export class Sandbox {
  readonly execroot: string;
  /** HOME and TMPDIR of the action. */
  readonly scratch: string;
  /** Empty directories we made, parked for reuse (outside the exec root). */
  private readonly spareDir: string;
  /** Directories that exist inside, besides `dir` itself. */
  private readonly dirs = new Set<string>();
  private readonly spares = new Set<string>();
  private spareCounter = 0;
  private static readonly MAX_SPARES = 256;
  private used = false;
  /** Taken over from another build: its directories' owner is unknown. */
  private claimed: boolean;

  /** `claimed`: taken over from another build, with unknown content (cleared on first use). */
  constructor(readonly dir: string, claimed = false, private readonly owner?: number) {
    this.used = claimed;
    this.claimed = claimed;
    this.execroot = join(dir, 'execroot');
    this.scratch = join(dir, 'tmp');
    this.spareDir = join(dir, 'spare');
  }

  /**
   * Empties the sandbox, keeping only the directories in `needed` (absolute, under `dir`; their
   * parents are implied), then creates whichever of them are missing: a parked spare renamed
   * into place, else one mkdir.
   */
  prepare(needed: Iterable<string>): void {
    const keep = new Set<string>([this.execroot, this.scratch, this.spareDir]);
    for (const d of needed) {
      for (let p = d; p.length > this.dir.length && !keep.has(p); p = dirname(p)) keep.add(p);
    }
    if (this.used) {
      // What is there now is what the walk finds: the last action may have deleted directories.
      const ours = new Set(this.dirs);
      this.dirs.clear();
      this.spares.clear();
      this.clear(this.dir, keep, ours);
    }
    this.used = true;
    if (this.claimed && this.owner !== undefined) {
      for (const d of [this.dir, ...this.dirs]) lchownSync(d, this.owner, this.owner);
    }
    this.claimed = false;
    for (const d of [...keep].sort((a, b) => a.length - b.length)) this.make(d);
  }

  private make(abs: string): void {
    if (this.dirs.has(abs)) return;
    const spare = this.takeSpare();
    try {
      if (spare) {
        renameSync(spare, abs);
        this.dirs.delete(spare);
      } else {
        mkdirSync(abs);
        if (this.owner !== undefined) lchownSync(abs, this.owner, this.owner);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    this.dirs.add(abs);
  }

  private takeSpare(): string | undefined {
    for (const s of this.spares) {
      this.spares.delete(s);
      return s;
    }
    return undefined;
  }

  /**
   * Deletes the files inside `dir` and empties its directories: those in `keep` stay where they
   * are, other directories we made become spares, the rest (made by the action) are removed.
   */
  private clear(dir: string, keep: ReadonlySet<string>, ours: ReadonlySet<string>): void {
    for (const ent of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, ent.name);
      if (!ent.isDirectory()) {
        unlinkSync(p);
        continue;
      }
      if (this.spares.has(p)) continue; // parked by this walk already
      this.clear(p, keep, ours);
      if (keep.has(p)) this.dirs.add(p);
      else if (dir === this.spareDir && ours.has(p)) {
        this.spares.add(p);
        this.dirs.add(p);
      } else if (ours.has(p) && this.spares.size < Sandbox.MAX_SPARES) {
        const spare = join(this.spareDir, String(++this.spareCounter));
        renameSync(p, spare);
        this.spares.add(spare);
        this.dirs.add(spare);
      } else rmdirSync(p);
    }
  }
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

  /** `owner`: the uid (and gid) the sandboxes' directories belong to, when not xbuild's own. */
  constructor(private readonly base: string, private readonly reuse = true, private readonly owner?: number) {
    mkdirSync(base, { recursive: true });
  }

  /** A sandbox ready for `prepare`: a free one, a claimed spare, or a new directory. */
  acquire(): Sandbox {
    const reused = this.reuse ? this.free.pop() ?? this.claim() : undefined;
    if (reused) return reused;
    const dir = join(this.base, `${process.pid}-${++this.counter}`);
    try {
      mkdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      removeTree(dir);
      mkdirSync(dir);
    }
    if (this.owner !== undefined) lchownSync(dir, this.owner, this.owner);
    const sb = new Sandbox(dir, false, this.owner);
    this.all.add(sb);
    return sb;
  }

  /** Gives a sandbox back after its action; `broken` ones (could not be cleaned) are deleted. */
  release(sb: Sandbox, broken = false): void {
    if (!this.reuse) return;
    if (broken) {
      this.all.delete(sb);
      void removeInBackground([sb.dir]);
    } else this.free.push(sb);
  }

  /** Parks this build's sandboxes as spares for the next build (kept ones stay, for debugging). */
  async drain(): Promise<void> {
    if (!this.reuse) return;
    for (const sb of this.all) {
      try {
        renameSync(sb.dir, join(this.base, `spare-${process.pid}-${randomBytes(4).toString('hex')}`));
      } catch {
        await removeInBackground([sb.dir]);
      }
    }
    this.all.clear();
    this.free.length = 0;
  }

  /** Takes over a spare or a dead build's sandbox; its content is unknown, so `prepare` clears it all. */
  private claim(): Sandbox | undefined {
    this.claimable ??= this.listClaimable();
    while (this.claimable.length) {
      const from = this.claimable.pop()!;
      const dir = join(this.base, `${process.pid}-${++this.counter}`);
      try {
        renameSync(from, dir);
      } catch {
        continue; // another build claimed it first
      }
      const sb = new Sandbox(dir, true, this.owner);
      this.all.add(sb);
      return sb;
    }
    return undefined;
  }

  private listClaimable(): string[] {
    const found: string[] = [];
    let names: string[];
    try {
      names = readdirSync(this.base);
    } catch {
      return found;
    }
    for (const n of names) {
      if (n.startsWith('spare-')) found.push(join(this.base, n));
      else {
        const pid = Number(/^(\d+)-/.exec(n)?.[1]);
        if (pid > 0 && pid !== process.pid && !isProcessAlive(pid)) found.push(join(this.base, n));
      }
    }
    return found;
  }
}

/** `rm -rf` in another process; whatever it could not remove (read-only dirs as non-root) goes through removeTree. */
function removeInBackground(dirs: readonly string[]): Promise<void> {
  if (!dirs.length) return Promise.resolve();
  return new Promise((resolve) => {
    const child = spawn('/bin/rm', ['-rf', '--', ...dirs], { stdio: 'ignore' });
    const fallback = () => {
      for (const d of dirs) removeTree(d);
      resolve();
    };
    child.on('error', fallback);
    child.on('exit', (code) => (code === 0 ? resolve() : fallback()));
  });
}
