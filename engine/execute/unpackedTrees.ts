/**
 * Unpacked trees: a tarball an action declares as `unpack` (a Debian build root, hundreds of MB)
 * is unpacked once per content into the cache and shown read-only to every action that names it,
 * at UNPACKED_PATH (isolation.ts). Such an action lays its own writable overlay over it (`mount -t overlay`, as
 * root of its uid range) instead of unpacking the tarball again: a fresh root per package build
 * in well under a second instead of 13-32 s of `tar -xf`.
 *
 * Invariants:
 * - `<cache>/unpacked/<sha256>` exists only complete: the tarball is unpacked into a temporary
 *   directory named after the unpacking process (`.tmp-<sha256>-<pid@start>`, as gc names its trash) and renamed into place.
 *   A kill -9 leaves only the temporary, which the next unpack removes once its process is gone.
 * - The unpack is a command like any other (the same runner and sandbox, root of the same uid
 *   range as the actions that use the tree), so the tree's owners and modes are what the tarball
 *   says, as those actions see them.
 * - No action writes a tree: it is bound read-only into their sandboxes. `xbuild cache gc` removes
 *   a tree once its tarball's blob has left the store.
 */
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Sha256 } from '../../cache/digest.js';
import { UNPACKED_DIR } from '../../cache/gc.js';
import { currentProcess, formatIdentity, isAlive, parseIdentity } from '../../cache/processAlive.js';
import { BlamedError } from '../report/blame.js';
import { removeTree } from './removeTree.js';
import type { ActionRunner } from './runner.js';

export class UnpackedTrees {
  private readonly dir: string;
  /** Trees being unpacked by this process, so two actions wait for one unpack. */
  private readonly pending = new Map<Sha256, Promise<string>>();

  /** `owner`: the uid that owns sandbox directories, when it is not xbuild's own. */
  constructor(cacheDir: string, private readonly runner: ActionRunner, private readonly owner?: number) {
    this.dir = join(cacheDir, UNPACKED_DIR);
  }

  /**
   * The host path of the tree of the tarball `hash` (whose blob is `blobPath`), unpacked first if
   * no tree of it exists. Throws a BlamedError when tar fails (a damaged tarball is the
   * environment's: its blob matched its digest when it was stored).
   */
  tree(hash: Sha256, blobPath: string, signal: AbortSignal): Promise<string> {
    const ready = join(this.dir, hash);
    if (existsSync(ready)) return Promise.resolve(ready);
    let p = this.pending.get(hash);
    if (!p) {
      p = this.unpack(hash, blobPath, ready, signal).finally(() => this.pending.delete(hash));
      this.pending.set(hash, p);
    }
    return p;
  }

  private async unpack(hash: Sha256, blobPath: string, ready: string, signal: AbortSignal): Promise<string> {
    mkdirSync(this.dir, { recursive: true });
    this.removeAbandoned();
    const tmp = join(this.dir, `.tmp-${hash}-${formatIdentity(currentProcess())}`);
    removeTree(tmp);
    mkdirSync(join(tmp, 'tree'), { recursive: true });
    if (this.owner !== undefined) for (const d of [tmp, join(tmp, 'tree')]) chownSync(d, this.owner, this.owner);
    try {
      // Device nodes cannot be made in a user namespace (the actions mount their own /dev).
      const r = await this.runner.run({
        argv: ['/usr/bin/tar', '-xf', blobPath, '-C', 'tree', '--exclude=./dev/*'], env: { PATH: '/usr/bin:/bin' },
        sandboxDir: tmp, cwd: '.', network: false, uidRange: true, readOnly: [blobPath], slots: 1,
      }, signal);
      if (r.spawnError || r.exitCode !== 0) {
        const why = r.spawnError ?? (r.signal ? `killed by ${r.signal}` : `tar exited with code ${r.exitCode}`);
        throw new BlamedError('environment', `unpacking ${blobPath} into ${ready} failed (${why}); tar said: ${tail(join(tmp, 'log'))}`);
      }
      try {
        renameSync(join(tmp, 'tree'), ready);
      } catch (e) {
        // Another xbuild put the same tree in place first: it is the same content.
        if (!existsSync(ready)) throw e;
      }
      return ready;
    } finally {
      removeTree(tmp);
    }
  }

  /** Temporaries of unpacks whose process is gone (killed mid-unpack). */
  private removeAbandoned(): void {
    for (const name of readdirSync(this.dir)) {
      const owner = /^\.tmp-[0-9a-f]{64}-(.+)$/.exec(name);
      const p = owner ? parseIdentity(owner[1]) : undefined;
      if (p && !isAlive(p)) removeTree(join(this.dir, name));
    }
  }
}

function tail(logPath: string): string {
  try {
    const text = readFileSync(logPath, 'utf8');
    return text.trim().split('\n').slice(-5).join(' | ') || '(nothing)';
  } catch {
    return '(no log)';
  }
}
