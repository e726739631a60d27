/**
 * Executing one action: digest inputs -> key -> action cache -> (hit) restore outputs, or
 * (miss) run in a sandbox -> store outputs as blobs -> action-cache row -> materialise.
 *
 * Invariants:
 * - The key is computed only from declared inputs (engine/key/actionKey.ts); the sandbox holds only
 *   declared inputs, so an undeclared read fails instead of silently making a wrong key.
 * - Blobs are written before the row that names them; failures are never cached.
 * - Outputs in xbuild-out/ are replaced atomically (temp + rename) and are read-only.
 * - A blob that no longer matches its digest is dropped and the action runs again.
 */
import {
  chmodSync, chownSync, copyFileSync, cpSync, existsSync, lchownSync, lstatSync, mkdirSync, readdirSync, renameSync,
  rmSync, statSync, unlinkSync, openSync, readSync, closeSync, fstatSync, utimesSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Action } from '../analyze/action.js';
import { BlamedError, internalErrorText, type Blame } from '../report/blame.js';
import { byPath, computeActionKey, ENGINE_KEY_VERSION, type ActionKeyInputs, type KeyedInput } from '../key/actionKey.js';
import type { EventSink } from '../report/events.js';
import type { FileDigests } from '../key/fileDigests.js';
import type { ActionRunner } from './runner.js';
import { fetchPinned } from './fetcher.js';
import { actionLogName, PidLock, type WorkspacePaths } from '../workspace.js';
import type { ActionCache, ActionResult, OutputEntry } from '../../cache/actionCache.js';
import type { BlobStamp, BlobStore } from '../../cache/blobStore.js';
import type { Sha256 } from '../../cache/digest.js';
import { fileMode, materializeTree, readTree, storeTree } from '../../cache/tree.js';
import { KnownDirs } from '../../cache/knownDirs.js';
import type { History } from '../report/history.js';
import { removeTree } from './removeTree.js';
import { sameAsPrevious, type PreviousBuild } from '../incremental/dirty.js';
import { Sandboxes, type Sandbox } from './sandbox.js';
import { isolation, PERSISTENT_PATH, SANDBOX_LOG, type Isolation } from './isolation.js';

/** How a fetch whose file the server no longer has fails (the CLI explains stale lock pins from it). */
export const NOT_SERVED = 'not served any more (HTTP 404), nothing stored:';

export const FIXED_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Optional second cache level (the remote cache), consulted after a local miss. */
export interface RemoteCacheHook {
  lookup(key: Sha256, action: Action): Promise<{ result?: ActionResult; note: string }>;
  upload(key: Sha256, result: ActionResult, action: Action): Promise<void>;
}

export type ActionOutcome =
  | { readonly ok: true; readonly status: 'executed' | 'cached'; readonly cache?: 'local' | 'remote'; readonly key: Sha256; readonly outputs: readonly OutputEntry[]; readonly durationMs: number;
      /** Executed actions: where the command's whole output was written (kept after the build). */
      readonly logPath?: string }
  | { readonly ok: false; readonly key?: Sha256; readonly error: string; readonly logPath?: string; readonly logTail?: string; readonly exitCode?: number; readonly durationMs: number;
      /** Whose failure it is (engine/report/blame.ts); an 'environment' one is tried again (--retries). */
      readonly blame: Blame };

export interface ExecutorOptions {
  readonly paths: WorkspacePaths;
  readonly blobs: BlobStore;
  readonly actionCache: ActionCache;
  readonly digests: FileDigests;
  readonly runner: ActionRunner;
  readonly history: History;
  readonly events: EventSink;
  readonly platform: string;
  readonly remote?: RemoteCacheHook;
  readonly keepSandboxes?: boolean;
  /** Recompute and compare, but never restore from cache (for --no-cache). */
  readonly noCache?: boolean;
  /** The build's --jobs: an action never gets more CPU slots than this. */
  readonly maxSlots?: number;
  readonly previous?: PreviousBuild;
  /** How commands are isolated; the runner must use the same (default: the process's, engine/execute/isolation.ts). */
  readonly isolation?: Isolation;
}

/**
 * Where this xbuild is installed (its rules/ scripts are tools of many actions, named by absolute
 * path in their argv and tools). In an action key that prefix is written as `@xbuild/`, so two
 * checkouts or installs of the same xbuild in different directories (a build server and a
 * laptop) compute the same keys and share the cache; the command itself still runs the real path.
 */
const INSTALL_PREFIX = fileURLToPath(new URL('../../../', import.meta.url));
const relocatable = (s: string): string => (s.includes(INSTALL_PREFIX) ? s.split(INSTALL_PREFIX).join('@xbuild/') : s);

export class Executor {
  /** What each generated path holds in this build (filled as actions finish). */
  readonly produced = new Map<string, OutputEntry>();
  /** Work finishing in the background: rows waiting for their blobs' fsync, sandbox removal. */
  private readonly background = new Set<Promise<unknown>>();

  private later(p: Promise<unknown>): void {
    const q = p.catch(() => {}).finally(() => this.background.delete(q));
    this.background.add(q);
  }

  /** Waits for everything started in the background; call before the build reports its end. */
  async drain(): Promise<void> {
    this.flushRowsNow?.();
    while (this.background.size) await Promise.all([...this.background]);
    for (const { sb } of this.staged.values()) this.sandboxes.release(sb);
    this.staged.clear();
    await this.sandboxes.drain();
  }

  private readonly sandboxes: Sandboxes;
  private readonly iso: Isolation;
  /** The uid that owns sandbox directories (the sandbox uid, when it is not xbuild's own). */
  private readonly sandboxOwner?: number;

  constructor(private readonly o: ExecutorOptions) {
    this.iso = o.isolation ?? isolation();
    this.sandboxOwner = this.iso.mode !== 'none' && this.iso.asRoot ? this.iso.sandboxUid : undefined;
    this.sandboxes = new Sandboxes(join(o.paths.cacheDir, 'sandbox'), !o.keepSandboxes, this.sandboxOwner);
    // A blob found altered on disk is never used; say so (the actions needing it run again).
    o.blobs.onDamaged = (hash, why) => o.events({ type: 'warning', message: `cache blob ${hash} was removed: ${why} (altered on disk); what needs it is made again` });
  }

  /** The key of an action whose inputs are all available; throws with a user message if one is missing. */
  keyInputs(action: Action): ActionKeyInputs {
    const inputs: KeyedInput[] = action.inputs.map((a) => {
      if (a.source) {
        const abs = join(this.o.paths.root, a.path);
        try {
          return { path: a.path, kind: a.kind, digest: this.o.digests.digest(abs) };
        } catch {
          throw new BlamedError('user', `input ${a.path} does not exist`);
        }
      }
      const made = this.produced.get(a.path);
      if (!made) throw new Error(`input ${a.path} of ${action.id} has not been produced (this is an xbuild bug)`);
      return { path: a.path, kind: a.kind, digest: made.digest.hash };
    });
    const tools = action.tools.map((t) => {
      try {
        return { path: relocatable(t), digest: this.o.digests.digest(t) };
      } catch {
        throw new BlamedError('environment', `tool ${t} does not exist on this machine`);
      }
    });
    return {
      engine: ENGINE_KEY_VERSION,
      kind: action.kind,
      argv: action.argv.map(relocatable),
      env: Object.entries(action.env).map(([k, v]) => [k, relocatable(v)] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      inputs: inputs.sort(byPath),
      tools: tools.sort(byPath),
      outputs: action.outputs.map((o) => ({ path: o.path, kind: o.kind })).sort(byPath),
      platform: this.o.platform,
      sourceDateEpoch: action.sourceDateEpoch,
      network: action.network,
      uidRange: action.uidRange ? true : undefined,
      content: action.content,
      executable: action.executable,
      sha256: action.sha256,
    };
  }

  /** Actions got ready ahead of their start by `prepareAhead`: a sandbox with the inputs in place, or a cache hit. */
  private readonly staged = new Map<string, { sb: Sandbox; links: StagedLink[] }>();
  private readonly hitsAhead = new Map<string, Extract<ActionOutcome, { ok: true }>>();

  /**
   * Gets a ready action as far as it can go before it has a slot: its key and cache lookup and,
   * on a miss, its sandbox with the inputs in place. The scheduler calls this while every slot
   * is busy (Node is idle then), so the command starts the moment a slot frees.
   */
  async prepareAhead(action: Action): Promise<void> {
    if (action.kind !== 'run' || action.persistentDir || this.staged.has(action.id) || this.hitsAhead.has(action.id)) return;
    if (this.staged.size >= (this.o.maxSlots ?? 1)) return;
    if (!this.misses.has(action.id)) {
      let hit;
      try {
        hit = await this.tryCache(action);
      } catch {
        return; // execute says what is wrong
      }
      if (hit) {
        this.hitsAhead.set(action.id, hit);
        return;
      }
      if (!this.misses.has(action.id)) return;
    }
    if (this.staged.has(action.id)) return;
    let sb: Sandbox | undefined;
    try {
      sb = this.prepareSandbox(action);
      this.staged.set(action.id, { sb, links: this.stageInputs(action, sb.execroot) });
    } catch {
      if (sb) this.sandboxes.release(sb, true); // execute tries again and reports the error
    }
  }

  /** Cache misses found by `tryCache`, so `execute` does not ask the caches a second time. */
  private readonly misses = new Map<string, { key: Sha256; keyInputs: ActionKeyInputs; note?: string }>();

  /**
   * Looks the action up in the local, then the remote cache, and restores its outputs on a hit.
   * Undefined on a miss (remembered for `execute`) or when its inputs cannot be keyed.
   */
  async tryCache(action: Action): Promise<Extract<ActionOutcome, { ok: true }> | undefined> {
    const started = Date.now();
    const same = this.fromPrevious(action);
    if (same) return same;
    let keyInputs: ActionKeyInputs;
    try {
      keyInputs = this.keyInputs(action);
    } catch (e) {
      if (e instanceof BlamedError) return undefined;
      throw e;
    }
    const key = computeActionKey(keyInputs);
    let note: string | undefined;
    if (!this.o.noCache) {
      // 1. Local action cache.
      const hit = this.o.actionCache.get(key);
      if (hit) {
        if (this.restore(hit)) {
          this.o.actionCache.touch(key);
          this.o.history.record(action, key, keyInputs, 'cached', hit.durationMs, 'local cache hit');
          return { ok: true, status: 'cached', cache: 'local', key, outputs: hit.outputs, durationMs: Date.now() - started };
        }
        this.o.actionCache.delete(key);
        note = 'a cached output blob was missing or corrupted; ran again';
        this.o.events({ type: 'warning', message: `${action.label}: ${note}` });
      }
      // 2. Remote cache.
      if (this.o.remote) {
        const r = await this.o.remote.lookup(key, action);
        if (r.result && this.restore(r.result)) {
          this.o.actionCache.put(key, r.result);
          this.o.history.record(action, key, keyInputs, 'cached', r.result.durationMs, r.note);
          return { ok: true, status: 'cached', cache: 'remote', key, outputs: r.result.outputs, durationMs: Date.now() - started };
        }
        note = r.note;
      }
    }
    this.misses.set(action.id, { key, keyInputs, note });
    return undefined;
  }

  /** The previous build's result, now this build's, if nothing the action depends on changed since. */
  fromPrevious(action: Action): Extract<ActionOutcome, { ok: true }> | undefined {
    const same = this.o.previous && sameAsPrevious(action, this.o.previous, this.o.paths.root, this.produced, (p) => this.previousOutput(p));
    if (!same) return undefined;
    for (const o of same.outputs) this.produced.set(o.path, o);
    return { ok: true, status: 'cached', cache: 'local', key: same.key as Sha256, outputs: same.outputs, durationMs: 0 };
  }

  private previousOutputs?: Map<string, OutputEntry>;
  private previousOutput(path: string): OutputEntry | undefined {
    if (!this.previousOutputs) {
      this.previousOutputs = new Map();
      for (const a of this.o.previous?.actions.values() ?? []) for (const o of a.outputs) this.previousOutputs.set(o.path, o);
    }
    return this.previousOutputs.get(path);
  }

  /** `commandExited` is called when the action's command has ended (its CPU slots are free). */
  /** Runs or restores one action; never throws: an exception from xbuild's own code is an 'internal' failure of the action. */
  async execute(action: Action, signal: AbortSignal, commandExited?: () => void): Promise<ActionOutcome> {
    const started = Date.now();
    try {
      return await this.executeOne(action, signal, commandExited);
    } catch (e) {
      return { ok: false, error: internalErrorText(e), durationMs: Date.now() - started, blame: 'internal' };
    }
  }

  private async executeOne(action: Action, signal: AbortSignal, commandExited?: () => void): Promise<ActionOutcome> {
    const hitAhead = this.hitsAhead.get(action.id);
    if (hitAhead) {
      this.hitsAhead.delete(action.id);
      return hitAhead;
    }
    if (!this.misses.has(action.id)) {
      const hit = await this.tryCache(action);
      if (hit) return hit;
      if (!this.misses.has(action.id)) {
        // Not keyable: say why.
        try {
          this.keyInputs(action);
        } catch (e) {
          if (e instanceof BlamedError) return { ok: false, error: e.message, durationMs: 0, blame: e.blame };
          throw e;
        }
      }
    }
    const { key, keyInputs, note: cachedNote } = this.misses.get(action.id)!;
    this.misses.delete(action.id);
    // 3. Run it.
    const outcome = await this.run(action, key, signal, commandExited);
    if (!outcome.ok) {
      this.o.history.record(action, key, keyInputs, 'failed', outcome.durationMs, outcome.error);
      return { ...outcome, key };
    }
    const result: ActionResult = { outputs: outcome.outputs, exitCode: 0, durationMs: outcome.durationMs, logDigest: outcome.logDigest };
    // The row is written once every blob it names is fsynced; dependents need not wait for it.
    const stored = this.storeResult(key, result);
    this.o.history.record(action, key, keyInputs, 'executed', outcome.durationMs, cachedNote);
    if (this.o.remote) {
      // The upload waits for the row, and dependents wait for the upload: no batching delay here.
      this.flushRowsNow?.();
      await stored;
      await this.o.remote.upload(key, result, action);
    }
    return { ok: true, status: 'executed', key, outputs: outcome.outputs, durationMs: outcome.durationMs, logPath: outcome.logPath };
  }

  /** Results waiting for their blobs' fsync before their rows are written (see storeResult). */
  private pendingRows: { key: Sha256; result: ActionResult }[] = [];
  private rowsWritten?: Promise<void>;
  private static readonly ROW_BATCH = 64;
  private static readonly ROW_DELAY_MS = 250;

  /**
   * Writes an action-cache row once every blob it names is fsynced. Rows go in batches (64, or
   * after 250 ms): one burst of fsyncs, which the journal commits together, and one transaction,
   * instead of a journal commit and an autocommit per action. Dependents never wait for this;
   * a build killed before a batch is written only loses those rows (the actions run again).
   */
  private storeResult(key: Sha256, result: ActionResult): Promise<void> {
    this.pendingRows.push({ key, result });
    if (!this.rowsWritten) {
      this.rowsWritten = new Promise<void>((resolve) => {
        const timer = setTimeout(() => resolve(), Executor.ROW_DELAY_MS);
        this.flushRowsNow = () => {
          clearTimeout(timer);
          resolve();
        };
      }).then(() => this.writeRows());
      this.later(this.rowsWritten);
    }
    const mine = this.rowsWritten;
    if (this.pendingRows.length >= Executor.ROW_BATCH) this.flushRowsNow?.();
    return mine;
  }

  private flushRowsNow?: () => void;

  private async writeRows(): Promise<void> {
    const rows = this.pendingRows;
    this.pendingRows = [];
    this.rowsWritten = undefined;
    this.flushRowsNow = undefined;
    await this.o.blobs.syncPending();
    this.o.actionCache.putMany(rows);
  }

  /** Makes a cached result's outputs present in xbuild-out; false if a blob is missing or corrupt. */
  restore(result: ActionResult): boolean {
    for (const o of result.outputs) {
      if (!this.materialize(o)) return false;
    }
    for (const o of result.outputs) this.produced.set(o.path, o);
    return true;
  }

  private materialize(o: OutputEntry): boolean {
    const dest = join(this.o.paths.root, o.path);
    if (o.kind === 'file') {
      if (this.o.digests.known(dest) === o.digest.hash && modeMatches(dest, o.executable)) return true;
      const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
      mkdirSync(dirname(dest), { recursive: true });
      if (!this.o.blobs.copyOutVerified(o.digest.hash, tmp, fileMode(o.executable, true))) return false;
      replacePath(tmp, dest);
      this.o.digests.remember(dest, o.digest.hash);
      return true;
    }
    if (existsSync(dest) && this.dirMatches(dest, o.digest.hash)) return true;
    const tree = readTree(this.o.blobs, o.digest);
    if (!tree || !this.o.blobs.verify(o.digest.hash)) {
      this.o.blobs.remove(o.digest.hash);
      return false;
    }
    const tmp = `${dest}.tmp-${randomBytes(4).toString('hex')}`;
    mkdirSync(dirname(dest), { recursive: true });
    if (!materializeTree(this.o.blobs, tree, tmp, true)) {
      removeTree(tmp);
      return false;
    }
    replacePath(tmp, dest);
    return true;
  }

  /** Directories of xbuild-out known to exist. */
  private readonly outDirs = new KnownDirs();

  private placeFresh(o: OutputEntry, src: string): void {
    const dest = join(this.o.paths.root, o.path);
    // Made by the sandbox uid: xbuild-out holds xbuild's files only.
    if (this.sandboxOwner !== undefined) chownSync(src, process.getuid!(), process.getgid!());
    chmodSync(src, fileMode(o.executable, true));
    try {
      this.outDirs.moveInto(dirname(dest), () => replacePath(src, dest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      if (!this.materialize(o)) throw new Error(`could not materialise ${o.path} (this is an xbuild bug)`);
      return;
    }
    this.o.digests.remember(dest, o.digest.hash);
  }

  private dirMatches(dest: string, hash: Sha256): boolean {
    try {
      this.o.digests.forget(dest);
      return this.o.digests.digest(dest) === hash;
    } catch {
      return false;
    }
  }

  private async run(action: Action, key: Sha256, signal: AbortSignal, commandExited?: () => void):
    Promise<{ ok: true; outputs: OutputEntry[]; durationMs: number; logPath?: string; logDigest?: { hash: Sha256; sizeBytes: number } } | Extract<ActionOutcome, { ok: false }>> {
    switch (action.kind) {
      case 'write':
        return this.runWrite(action);
      case 'fetch':
        return this.runFetch(action, signal);
      case 'run':
        return this.runCommand(action, key, signal, commandExited);
      default: {
        const never: never = action.kind;
        throw new Error(`unknown action kind ${never} (this is an xbuild bug)`);
      }
    }
  }

  private runWrite(action: Action) {
    const started = Date.now();
    const out = action.outputs[0];
    const digest = this.o.blobs.putBytes(action.content ?? '');
    const entry: OutputEntry = { path: out.path, kind: 'file', digest, executable: action.executable ?? false };
    if (!this.materialize(entry)) throw new Error(`could not materialise ${out.path} (this is an xbuild bug)`);
    this.produced.set(out.path, entry);
    return { ok: true as const, outputs: [entry], durationMs: Date.now() - started };
  }

  private async runFetch(action: Action, signal: AbortSignal) {
    const started = Date.now();
    const out = action.outputs[0];
    const tmp = this.o.blobs.tempPath();
    const r = await fetchPinned(action.urls ?? [], action.sha256 ?? '', tmp, signal);
    if (!r.ok) {
      rmSync(tmp, { force: true });
      if (r.notServed) {
        // Retrying cannot help: the server no longer has the file. The pin is the user's input to
        // update (for an apt-mirror:// pin, the lock is stale: `xbuild lock update`).
        return { ok: false as const, error: `${NOT_SERVED} ${(action.urls ?? []).join(' ')}:\n  ${r.errors.join('\n  ')}`, durationMs: Date.now() - started, blame: 'user' as const };
      }
      // A digest mismatch is the pin's (the user's input); anything else is the network or the server.
      return { ok: false as const, error: `fetch failed, nothing stored:\n  ${r.errors.join('\n  ')}`, durationMs: Date.now() - started, blame: r.errors.some((e) => e.includes('mismatch')) ? 'user' as const : 'environment' as const };
    }
    const digest = this.o.blobs.putFileSync(tmp);
    rmSync(tmp, { force: true });
    const entry: OutputEntry = { path: out.path, kind: 'file', digest, executable: false };
    if (!this.materialize(entry)) throw new Error(`could not materialise ${out.path} (this is an xbuild bug)`);
    this.produced.set(out.path, entry);
    return { ok: true as const, outputs: [entry], durationMs: Date.now() - started };
  }

  private readonly logDirs = new Set<string>();
  private ensureLogDir(dir: string): void {
    if (this.logDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    this.logDirs.add(dir);
  }

  private logPathFor(action: Action): string {
    return join(this.o.paths.logDir, actionLogName(action.label, action.id, action.mnemonic));
  }

  private async runCommand(action: Action, key: Sha256, signal: AbortSignal, commandExited?: () => void) {
    const started = Date.now();
    const ahead = this.staged.get(action.id);
    this.staged.delete(action.id);
    const sb = ahead?.sb ?? this.prepareSandbox(action);
    const sandbox = sb.dir;
    const execroot = sb.execroot;
    const iso = this.iso;
    // HOME and TMPDIR are one private scratch folder: every directory made here is another
    // mkdir and rmdir per action, which is measurable on a discard-mounted disk.
    const home = iso.insidePath(sb.dir, 'tmp');
    const logPath = this.logPathFor(action);
    this.ensureLogDir(dirname(logPath));
    let lock: PidLock | undefined;
    let clean = false;
    try {
      let links: StagedLink[];
      try {
        links = ahead?.links ?? this.stageInputs(action, execroot);
      } catch (e) {
        if (e instanceof BlamedError) return { ok: false as const, error: e.message, durationMs: Date.now() - started, blame: e.blame };
        throw e;
      }
      const env: Record<string, string> = {
        PATH: FIXED_PATH,
        ...action.env,
        HOME: home,
        TMPDIR: home,
        SOURCE_DATE_EPOCH: String(action.sourceDateEpoch),
        XBUILD_CPUS: String(Math.min(action.cpu, this.o.maxSlots ?? action.cpu)),
      };
      let persistentDir: string | undefined;
      if (action.persistentDir) {
        persistentDir = join(this.o.paths.cacheDir, 'persistent', action.persistentDir);
        mkdirSync(persistentDir, { recursive: true });
        lock = new PidLock(`${persistentDir}.lock`);
        await lock.acquire((pid) => this.o.events({ type: 'info', message: `${action.label}: waiting for persistent dir ${action.persistentDir} (used by pid ${pid})` }));
        if (this.sandboxOwner !== undefined) ownTree(persistentDir, this.sandboxOwner);
        env.XBUILD_PERSISTENT_DIR = iso.mode === 'none' ? persistentDir : PERSISTENT_PATH;
      }
      this.o.events({ type: 'action_started', id: action.id, label: action.label, mnemonic: action.mnemonic, progress: action.progress, time: Date.now() });
      const outcome = await this.o.runner.run({
        argv: action.argv, env, sandboxDir: sandbox, cwd: 'execroot', network: action.network, uidRange: action.uidRange,
        readOnly: action.tools.filter((t) => !iso.visible(t)), persistentDir,
        slots: Math.min(action.cpu, this.o.maxSlots ?? action.cpu), jobserverPath: join(sandbox, 'jobserver.fifo'),
      }, signal);
      moveLog(join(sandbox, SANDBOX_LOG), logPath);
      commandExited?.();
      const durationMs = Date.now() - started;
      const log = readLog(logPath);
      const logTail = tailOf(log.bytes, 20);
      const written = links.filter((l) => !this.o.blobs.unchangedSince(l.hash, l.stamp)).map((l) => l.path);
      if (written.length) {
        return { ok: false as const, error: `the command wrote to its input ${written.join(', ')}: inputs are read-only (hard links into the cache); write a new file instead. The damaged cache entry was dropped.`,
          logPath, logTail, durationMs, blame: 'action' as const };
      }
      if (outcome.spawnError || outcome.exitCode !== 0) {
        const why = outcome.spawnError ? `could not start ${action.argv[0]}: ${outcome.spawnError}`
          : signal.aborted ? `interrupted: stopped with the build${outcome.signal ? ` (${outcome.signal})` : ''}`
          : outcome.signal ? `killed by signal ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
        return { ok: false as const, error: why, logPath, logTail, exitCode: outcome.exitCode, durationMs,
          // Could not start (no sandbox, no such program here) or killed by a signal from outside: the machine's.
          blame: outcome.spawnError || (outcome.signal && !signal.aborted) ? 'environment' as const : 'action' as const };
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
          return { ok: false as const, error: `declared output ${o.path} was not created`, logPath, logTail, durationMs, blame: 'action' as const };
        }
        if (!realDirsDown(sandbox, dirname(abs), realDirs)) {
          return { ok: false as const, error: `declared output ${o.path} is reached through a symbolic link: outputs must be inside the sandbox`, logPath, logTail, durationMs, blame: 'action' as const };
        }
        if (o.kind === 'file' && !st.isFile()) return { ok: false as const, error: `declared output ${o.path} is not a regular file`, logPath, logTail, durationMs, blame: 'action' as const };
        if (o.kind === 'dir' && !st.isDirectory()) return { ok: false as const, error: `declared output ${o.path} is not a directory`, logPath, logTail, durationMs, blame: 'action' as const };
        const digest = o.kind === 'file' ? this.o.blobs.putFileDeferred(abs) : storeTree(this.o.blobs, abs, true);
        outputs.push({ path: o.path, kind: o.kind, digest, executable: o.kind === 'file' && (st.mode & 0o111) !== 0 });
      }
      // A log small enough to have been read whole is stored from memory; a big one is copied.
      const logDigest = log.complete ? this.o.blobs.putBytesDeferred(log.bytes) : this.o.blobs.putFileDeferred(logPath);
      for (const o of outputs) {
        // A fresh file output moves from the sandbox into xbuild-out (its bytes are the blob's).
        if (o.kind === 'file') this.placeFresh(o, join(execroot, o.path));
        else if (!this.materialize(o)) throw new Error(`could not materialise ${o.path} right after storing it (this is an xbuild bug)`);
        this.produced.set(o.path, o);
      }
      clean = true;
      return { ok: true as const, outputs, durationMs, logPath, logDigest };
    } finally {
      lock?.release();
      // After a failure the sandbox may hold anything (even unremovable files): not reused.
      this.sandboxes.release(sb, !clean);
    }
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

  /**
   * Puts every declared input into the sandbox at its exec-root path: sources are copied,
   * generated files are hard links to their blobs (returned, to check after the run).
   */
  private stageInputs(action: Action, execroot: string): StagedLink[] {
    const links: StagedLink[] = [];
    for (const a of action.inputs) {
      const dest = join(execroot, a.path);
      if (a.source) {
        const src = join(this.o.paths.root, a.path);
        if (a.kind === 'dir') cpSync(src, dest, { recursive: true, preserveTimestamps: true });
        else copySource(src, dest);
        continue;
      }
      const made = this.produced.get(a.path)!;
      if (made.kind === 'file') {
        if (!made.executable) {
          const stamp = this.linkInput(made.digest.hash, dest);
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

  /** A hard link to the blob, or undefined when it must be copied (other filesystem, link limit, missing blob). */
  private linkInput(hash: Sha256, dest: string): BlobStamp | undefined {
    try {
      return this.o.blobs.linkOut(hash, dest);
    } catch {
      return undefined;
    }
  }
}

/** A generated input hard-linked into a sandbox, with its blob's stat to check after the run. */
interface StagedLink {
  readonly path: string;
  readonly hash: Sha256;
  readonly stamp: BlobStamp;
}

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

function modeMatches(path: string, executable: boolean): boolean {
  try {
    return ((statSync(path).mode & 0o111) !== 0) === executable;
  } catch {
    return false;
  }
}

/** Atomically puts `tmp` at `dest`, replacing what was there (a file or a directory). */
function replacePath(tmp: string, dest: string): void {
  let st;
  try {
    st = lstatSync(dest);
  } catch { /* absent */ }
  if (st?.isDirectory()) {
    const old = `${dest}.old-${randomBytes(4).toString('hex')}`;
    renameSync(dest, old);
    renameSync(tmp, dest);
    removeTree(old);
  } else {
    renameSync(tmp, dest);
  }
}

/** The last `lines` lines of a log file (reads at most the last 64 KiB). */
export function tail(path: string, lines: number): string {
  return tailOf(readLog(path).bytes, lines);
}

const LOG_READ_LIMIT = 65536;

/** A log's bytes: all of them (`complete`) when it is at most 64 KiB, else its last 64 KiB. */
function readLog(path: string): { bytes: Buffer; complete: boolean } {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, LOG_READ_LIMIT);
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, size - len + got);
        if (n === 0) break;
        got += n;
      }
      return { bytes: buf.subarray(0, got), complete: got === size };
    } finally {
      closeSync(fd);
    }
  } catch {
    return { bytes: Buffer.alloc(0), complete: false };
  }
}

function tailOf(bytes: Buffer, lines: number): string {
  return bytes.toString('utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').slice(-lines).join('\n');
}

/**
 * Moves the log a command left in its sandbox to the workspace's log path (a copy across
 * filesystems). The sandbox is the command's: anything but a regular file there (a symbolic
 * link to a host file, a FIFO) is not followed, and the log says so.
 */
function moveLog(from: string, to: string): void {
  let st;
  try {
    st = lstatSync(from);
  } catch { /* no log */ }
  if (!st?.isFile()) {
    rmSync(from, { force: true, recursive: true });
    writeFileSync(to, st ? '[xbuild: the command replaced its log with something other than a file; not read]\n' : '');
    return;
  }
  if (st.nlink > 1) { // one inode with a file the command keeps: the log gets its own
    copyFileSync(from, to);
    unlinkSync(from);
    return;
  }
  if (st.uid !== process.getuid?.()) chownSync(from, process.getuid!(), process.getgid!());
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to);
    unlinkSync(from);
  }
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
