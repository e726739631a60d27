/**
 * Running a command action: a sandbox holding exactly its declared inputs (source files
 * hard-linked to read-only copies of them, engine/execute/sourceCopies.ts; generated files to
 * their blobs), the command run by the runner in it, then its declared outputs checked and
 * stored as blobs and moved into xbuild-out/.
 *
 * Invariants:
 * - The sandbox holds only declared inputs, so an undeclared read fails instead of silently
 *   making a wrong key.
 * - An input hard-linked to a blob or a source copy that the command changed fails the action
 *   (it no longer matches its name; the store drops it).
 * - Outputs are read only through real directories of the sandbox (never through a symbolic
 *   link the command planted) and only after every process of the command is gone.
 */
import { copyFileSync, cpSync, lchownSync, lstatSync, mkdirSync, readdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Action } from '../analyze/action.js';
import { BlamedError, type Blame } from '../report/blame.js';
import type { EventSink } from '../report/events.js';
import type { ActionRunner } from './runner.js';
import { actionLogName, PidLock, type WorkspacePaths } from '../workspace.js';
import type { OutputEntry } from '../../cache/actionCache.js';
import type { BlobStamp, BlobStore } from '../../cache/blobStore.js';
import type { Sha256 } from '../../cache/digest.js';
import { fileMode, materializeTree, readTree, storeTree } from '../../cache/tree.js';
import { Sandboxes, sandboxesDir, type Sandbox } from './sandbox.js';
import { SourceCopies, type LinkedCopy } from './sourceCopies.js';
import type { FileDigests } from '../key/fileDigests.js';
import { PERSISTENT_PATH, SANDBOX_LOG, UNPACKED_PATH, type Isolation } from './isolation.js';
import { UnpackedTrees } from './unpackedTrees.js';
import { moveLog, readLog, tailOf } from './commandLog.js';
import type { OutputPlacement } from './outputPlacement.js';

export const FIXED_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** How running an action (a command, a write, a fetch) ended; the executor keys and stores it. */
export type RunOutcome =
  | { readonly ok: true; readonly outputs: OutputEntry[]; readonly durationMs: number; readonly logPath?: string; readonly logDigest?: { hash: Sha256; sizeBytes: number } }
  | { readonly ok: false; readonly error: string; readonly logPath?: string; readonly logTail?: string; readonly exitCode?: number; readonly durationMs: number; readonly blame: Blame };

/** What running commands needs; the executor's options hold these, with the isolation optional. */
export interface CommandActionsOptions {
  readonly paths: WorkspacePaths;
  readonly blobs: BlobStore;
  /** The digests the actions' keys were made with (a staged source is linked to a copy holding them). */
  readonly digests: FileDigests;
  readonly runner: ActionRunner;
  readonly events: EventSink;
  readonly isolation: Isolation;
  readonly keepSandboxes?: boolean;
  /** The build's --jobs: an action never gets more CPU slots than this. */
  readonly maxSlots?: number;
}

export class CommandActions {
  private readonly sandboxes: Sandboxes;
  /** The uid that owns sandbox directories (the sandbox uid, when it is not xbuild's own). */
  private readonly sandboxOwner?: number;
  /** Sandboxes made ready, inputs in place, before their action had a slot (`stageAhead`). */
  private readonly staged = new Map<string, { sb: Sandbox; links: StagedLink[] }>();
  /** Log directories made by this build (mkdir once each). */
  private readonly logDirs = new Set<string>();
  private readonly trees: UnpackedTrees;
  private readonly sourceCopies: SourceCopies;

  /** `produced`: what each generated path holds in this build (the executor's). */
  constructor(private readonly o: CommandActionsOptions, private readonly produced: ReadonlyMap<string, OutputEntry>, private readonly placement: OutputPlacement) {
    this.sandboxOwner = placement.sandboxOwner;
    this.sandboxes = new Sandboxes(sandboxesDir(o.paths.cacheDir), !o.keepSandboxes, this.sandboxOwner);
    this.trees = new UnpackedTrees(o.paths.cacheDir, o.runner, this.sandboxOwner);
    this.sourceCopies = new SourceCopies(o.paths.cacheDir);
  }

  /** Whether `stageAhead` would get this action's sandbox ready (at most --jobs are, at a time). */
  canStage(action: Action): boolean {
    return !this.staged.has(action.id) && this.staged.size < (this.o.maxSlots ?? 1);
  }

  /** Gets the sandbox of an action that will run ready ahead of its slot. */
  stageAhead(action: Action): void {
    if (!this.canStage(action)) return;
    let sb: Sandbox | undefined;
    try {
      sb = this.prepareSandbox(action);
      this.staged.set(action.id, { sb, links: this.stageInputs(action, sb.execroot) });
    } catch {
      if (sb) this.sandboxes.release(sb, true); // run tries again and reports the error
    }
  }

  /** Releases sandboxes staged for actions that never ran, and waits for sandbox removals. */
  async drain(): Promise<void> {
    for (const { sb } of this.staged.values()) this.sandboxes.release(sb);
    this.staged.clear();
    await this.sandboxes.drain();
  }

  /** `commandExited` is called when the command has ended (its CPU slots are free). */
  async run(action: Action, signal: AbortSignal, commandExited?: () => void): Promise<RunOutcome> {
    const started = Date.now();
    const ahead = this.staged.get(action.id);
    this.staged.delete(action.id);
    const sb = ahead?.sb ?? this.prepareSandbox(action);
    const { dir: sandbox, execroot } = sb;
    const iso = this.o.isolation;
    // HOME and TMPDIR are one private scratch folder: every directory made here is another
    // mkdir and rmdir per action, which is measurable on a discard-mounted disk.
    const home = iso.insidePath(sb.dir, 'tmp');
    const logPath = join(this.o.paths.logDir, actionLogName(action.label, action.id, action.mnemonic));
    const logDir = dirname(logPath);
    if (!this.logDirs.has(logDir)) {
      mkdirSync(logDir, { recursive: true });
      this.logDirs.add(logDir);
    }
    let lock: PidLock | undefined;
    let clean = false;
    try {
      let links: StagedLink[];
      const slots = Math.min(action.cpu, this.o.maxSlots ?? action.cpu);
      const env: Record<string, string> = {
        PATH: FIXED_PATH, ...action.env, HOME: home, TMPDIR: home, SOURCE_DATE_EPOCH: String(action.sourceDateEpoch), XBUILD_CPUS: String(slots),
      };
      let persistentDir: string | undefined;
      let unpacked: string | undefined;
      try {
        links = ahead?.links ?? this.stageInputs(action, execroot);
        if (action.persistentDir) {
          persistentDir = join(this.o.paths.cacheDir, 'persistent', action.persistentDir);
          mkdirSync(persistentDir, { recursive: true });
          lock = new PidLock(`${persistentDir}.lock`);
          await lock.acquire((pid) => this.o.events({ type: 'info', message: `${action.label}: waiting for persistent dir ${action.persistentDir} (used by pid ${pid})` }));
          if (this.sandboxOwner !== undefined) ownTree(persistentDir, this.sandboxOwner);
          env.XBUILD_PERSISTENT_DIR = iso.mode === 'none' ? persistentDir : PERSISTENT_PATH;
        }
        unpacked = await this.unpackedTree(action, signal);
      } catch (e) {
        // Inputs missing from the store, or a tree that could not be unpacked.
        if (e instanceof BlamedError) return { ok: false, error: e.message, durationMs: Date.now() - started, blame: e.blame };
        throw e;
      }
      if (unpacked) env.XBUILD_UNPACKED = iso.mode === 'none' ? unpacked : UNPACKED_PATH;
      this.o.events({ type: 'action_started', id: action.id, label: action.label, mnemonic: action.mnemonic, progress: action.progress, time: Date.now() });
      const outcome = await this.o.runner.run({
        argv: action.argv, env, sandboxDir: sandbox, cwd: 'execroot', network: action.network, uidRange: action.uidRange,
        readOnly: action.tools.filter((t) => !iso.visible(t)), persistentDir, unpacked, slots, jobserverPath: join(sandbox, 'jobserver.fifo'),
      }, signal);
      const succeeded = !outcome.spawnError && outcome.exitCode === 0;
      const moved = moveLog(join(sandbox, SANDBOX_LOG), logPath, succeeded);
      commandExited?.();
      const durationMs = Date.now() - started;
      const log = moved ? readLog(logPath) : { bytes: Buffer.alloc(0), complete: true };
      const logTail = tailOf(log.bytes, 20);
      const keptLog = moved ? logPath : undefined;
      const failed = (error: string, exitCode?: number, blame: Blame = 'action') => ({ ok: false as const, error, logPath: keptLog, logTail, exitCode, durationMs, blame });
      const written = links.filter((l) => !this.intact(l)).map((l) => l.path);
      if (written.length) {
        return failed(`the command wrote to its input ${written.join(', ')}: inputs are read-only (hard links into the cache); write a new file instead. The damaged cache entry was dropped.`);
      }
      if (!succeeded) {
        const why = outcome.spawnError ? `could not start ${action.argv[0]}: ${outcome.spawnError}`
          : signal.aborted ? `interrupted: stopped with the build${outcome.signal ? ` (${outcome.signal})` : ''}`
          : outcome.signal ? `killed by signal ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
        // Could not start (no sandbox, no such program here) or killed by a signal from outside: the machine's.
        return failed(why, outcome.exitCode, outcome.spawnError || (outcome.signal && !signal.aborted) ? 'environment' : 'action');
      }
      const outputs: OutputEntry[] = [];
      // The command is gone (its PID namespace, or every process of it, killed): what is in
      // the sandbox now stays as it is. Outputs are read by xbuild, so none may lead outside
      // the sandbox through a symbolic link in its path: every directory from the sandbox
      // directory down to the output's is a real one (one lstat each, shared by the outputs).
      const realDirs = new Set<string>();
      for (const o of action.outputs) {
        const abs = join(execroot, o.path);
        let st;
        try {
          st = lstatSync(abs);
        } catch {
          return failed(`declared output ${o.path} was not created`);
        }
        if (!realDirsDown(sandbox, dirname(abs), realDirs)) return failed(`declared output ${o.path} is reached through a symbolic link: outputs must be inside the sandbox`);
        if (o.kind === 'file' && !st.isFile()) return failed(`declared output ${o.path} is not a regular file`);
        if (o.kind === 'dir' && !st.isDirectory()) return failed(`declared output ${o.path} is not a directory`);
        const digest = o.kind === 'file' ? this.o.blobs.putFileDeferred(abs) : storeTree(this.o.blobs, abs, true);
        outputs.push({ path: o.path, kind: o.kind, digest, executable: o.kind === 'file' && (st.mode & 0o111) !== 0 });
      }
      // A log small enough to have been read whole is stored from memory; a big one is copied.
      const logDigest = log.complete ? this.o.blobs.putBytesDeferred(log.bytes) : this.o.blobs.putFileDeferred(logPath);
      for (const o of outputs) {
        // A fresh file output moves from the sandbox into xbuild-out (its bytes are the blob's).
        if (o.kind === 'file') this.placement.placeFresh(o, join(execroot, o.path));
        else if (!this.placement.materialize(o)) throw new Error(`could not materialise ${o.path} right after storing it (this is an xbuild bug)`);
      }
      clean = true;
      return { ok: true, outputs, durationMs, logPath: keptLog, logDigest };
    } finally {
      lock?.release();
      // After a failure the sandbox may hold anything (even unremovable files): not reused.
      this.sandboxes.release(sb, !clean);
    }
  }

  /**
   * The host path of the tree of the action's `unpack` input, unpacked if needed; none where the
   * command could not mount an overlay on it (no sandbox, or no uid range: it unpacks the tarball).
   */
  private async unpackedTree(action: Action, signal: AbortSignal): Promise<string | undefined> {
    if (!action.unpack || this.o.isolation.mode === 'none' || !this.o.isolation.hasUidRange) return undefined;
    const made = this.produced.get(action.unpack);
    if (!made || made.kind !== 'file') return undefined; // a source tarball: staged as a copy, no blob to key a tree by
    return this.trees.tree(made.digest.hash, this.o.blobs.pathOf(made.digest.hash), signal);
  }

  /** A sandbox holding exactly the (empty) directories this action's inputs and outputs go in. */
  private prepareSandbox(action: Action): Sandbox {
    for (let attempt = 0; ; attempt++) {
      const sb = this.sandboxes.acquire();
      const needed = [
        ...action.inputs.map((a) => dirname(join(sb.execroot, a.path))),
        ...action.outputs.map((o) => dirname(join(sb.execroot, o.path))),
      ];
      try {
        sb.prepare(needed);
        return sb;
      } catch (e) {
        this.sandboxes.release(sb, true);
        if (attempt > 0) throw e;
      }
    }
  }

  /** Whether a linked input still holds its bytes once the command is done. */
  private intact(l: StagedLink): boolean {
    return l.source ? this.sourceCopies.unchanged(l.source) : this.o.blobs.unchangedSince(l.hash, l.stamp);
  }

  /**
   * Puts every declared input into the sandbox at its exec-root path: source files and generated
   * files are hard links to read-only copies and to blobs (returned, to check after the run);
   * source directories, and files that cannot be linked, are copied.
   */
  private stageInputs(action: Action, execroot: string): StagedLink[] {
    const links: StagedLink[] = [];
    for (const a of action.inputs) {
      const dest = join(execroot, a.path);
      if (a.source) {
        const src = join(this.o.paths.root, a.path);
        if (a.kind === 'dir') {
          cpSync(src, dest, { recursive: true, preserveTimestamps: true });
          continue;
        }
        const linked = this.sourceCopies.linkOut(src, this.o.digests.digest(src), dest);
        if (linked) links.push({ path: a.path, source: linked });
        else copySource(src, dest);
        continue;
      }
      const made = this.produced.get(a.path)!;
      if (made.kind === 'file') {
        if (!made.executable) {
          let stamp: BlobStamp | undefined;
          try {
            stamp = this.o.blobs.linkOut(made.digest.hash, dest);
          } catch { /* copied instead: another filesystem, the link limit, a missing blob */ }
          if (stamp) {
            links.push({ path: a.path, hash: made.digest.hash, stamp });
            continue;
          }
        }
        const inOut = join(this.o.paths.root, a.path);
        if (!this.o.blobs.copyOutVerified(made.digest.hash, dest, fileMode(made.executable, false))
          && !(this.o.blobs.putIfMatches(made.digest, inOut) && this.o.blobs.copyOutVerified(made.digest.hash, dest, fileMode(made.executable, false)))) {
          throw new BlamedError('environment', `input ${a.path} is missing from the blob store or corrupted; run the build again`);
        }
      } else {
        const tree = readTree(this.o.blobs, made.digest);
        if (!tree || !materializeTree(this.o.blobs, tree, dest, false)) {
          throw new BlamedError('environment', `input directory ${a.path} is missing from the blob store or corrupted; run the build again`);
        }
      }
    }
    return links;
  }
}

/** An input hard-linked into a sandbox: a blob with its stat, or a source copy, to check after the run. */
type StagedLink =
  | { readonly path: string; readonly source?: undefined; readonly hash: Sha256; readonly stamp: BlobStamp }
  | { readonly path: string; readonly source: LinkedCopy };

/**
 * Whether every directory from `top` down to `dir` (both included; `dir` is `top` or below it)
 * is a real directory: lstat says so of each, so none is a symbolic link, wherever it points.
 * `checked` holds the directories found real so far (each is looked at once).
 */
function realDirsDown(top: string, dir: string, checked: Set<string>): boolean {
  for (let p = dir; ; p = dirname(p)) {
    if (!checked.has(p)) {
      try {
        if (!lstatSync(p).isDirectory()) return false;
      } catch {
        return false;
      }
      checked.add(p);
    }
    if (p.length <= top.length) return p === top;
  }
}

/** Copies a source file into the sandbox, keeping its mtime (tools such as make compare them). */
function copySource(src: string, dest: string): void {
  copyFileSync(src, dest);
  const st = statSync(src);
  utimesSync(dest, st.atime, st.mtime);
}

/** Gives a persistent directory (kept between runs) to the sandbox uid, once: its whole tree. */
function ownTree(dir: string, uid: number): void {
  if (lstatSync(dir).uid === uid) return;
  const walk = (p: string) => {
    const st = lstatSync(p);
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
    lchownSync(p, uid, uid);
  };
  walk(dir);
}
