/**
 * Executing one action: digest inputs -> key -> action cache -> (hit) restore outputs, or
 * (miss) run it (a command in a sandbox: engine/execute/commandAction.ts; a write or a fetch:
 * fileActions.ts) -> outputs stored as blobs -> action-cache row. Whether it runs at all is
 * decided as engine/incremental/dirty.ts says.
 *
 * Invariants:
 * - The key is computed only from declared inputs (engine/key/actionKey.ts).
 * - Blobs are written before the row that names them; failures are never cached.
 * - Outputs in xbuild-out/ are replaced atomically and are read-only (outputPlacement.ts).
 * - A blob that no longer matches its digest is dropped and the action runs again.
 */
import { join } from 'node:path';
import { INSTALL_ROOT } from '../installation.js';
import type { Action } from '../analyze/action.js';
import { BlamedError, internalErrorText, type Blame } from '../report/blame.js';
import { byPath, computeActionKey, ENGINE_KEY_VERSION, type ActionKeyInputs, type KeyedInput } from '../key/actionKey.js';
import type { FileDigests } from '../key/fileDigests.js';
import type { ActionCache, ActionResult, OutputEntry } from '../../cache/actionCache.js';
import type { Sha256 } from '../../cache/digest.js';
import type { History } from '../report/history.js';
import { sameAsPrevious, type PreviousBuild } from '../incremental/dirty.js';
import { isolation, type Isolation } from './isolation.js';
import { CommandActions, type CommandActionsOptions, type RunOutcome } from './commandAction.js';
import { runFetch, runWrite } from './fileActions.js';
import { OutputPlacement } from './outputPlacement.js';

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

export interface ExecutorOptions extends Omit<CommandActionsOptions, 'isolation'> {
  readonly actionCache: ActionCache;
  readonly digests: FileDigests;
  readonly history: History;
  readonly platform: string;
  readonly remote?: RemoteCacheHook;
  /** Only say where each result would come from (--dry-run): no restoring, no remote, nothing recorded. */
  readonly lookupOnly?: boolean;
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
const INSTALL_PREFIX = INSTALL_ROOT;
const relocatable = (s: string): string => (s.includes(INSTALL_PREFIX) ? s.split(INSTALL_PREFIX).join('@xbuild/') : s);

export class Executor {
  /** What each generated path holds in this build (filled as actions finish). */
  readonly produced = new Map<string, OutputEntry>();
  /** Rows being written in the background, once their blobs are fsynced (storeResult). */
  private readonly background = new Set<Promise<unknown>>();

  /** Waits for everything started in the background; call before the build reports its end. */
  async drain(): Promise<void> {
    this.flushRowsNow?.();
    while (this.background.size) await Promise.all([...this.background]);
    await this.commands.drain();
  }

  private readonly placement: OutputPlacement;
  private readonly commands: CommandActions;

  constructor(private readonly o: ExecutorOptions) {
    const iso = o.isolation ?? isolation();
    // Sandbox directories and what the command makes belong to the sandbox uid when it is not xbuild's.
    this.placement = new OutputPlacement(o.paths.root, o.blobs, o.digests, iso.mode !== 'none' && iso.asRoot ? iso.sandboxUid : undefined);
    this.commands = new CommandActions({ ...o, isolation: iso }, this.produced, this.placement);
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
      unpack: action.unpack,
      content: action.content,
      executable: action.executable,
      sha256: action.sha256,
    };
  }

  /** Cache hits found by `prepareAhead`, for `execute`. */
  private readonly hitsAhead = new Map<string, Extract<ActionOutcome, { ok: true }>>();

  /**
   * Gets a ready action as far as it can go before it has a slot: its key and cache lookup and,
   * on a miss, its sandbox with the inputs in place. The scheduler calls this while every slot
   * is busy (Node is idle then), so the command starts the moment a slot frees.
   */
  async prepareAhead(action: Action): Promise<void> {
    if (action.kind !== 'run' || action.persistentDir || this.hitsAhead.has(action.id) || !this.commands.canStage(action)) return;
    if (!this.misses.has(action.id)) {
      const hit = await this.tryCache(action).catch(() => undefined); // on an error, execute says what is wrong
      if (hit) this.hitsAhead.set(action.id, hit);
      if (hit || !this.misses.has(action.id)) return;
    }
    this.commands.stageAhead(action);
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
    // 1. Local action cache.
    const hit = this.o.actionCache.get(key);
    if (hit && this.o.lookupOnly) {
      for (const o of hit.outputs) this.produced.set(o.path, o);
      return { ok: true, status: 'cached', cache: 'local', key, outputs: hit.outputs, durationMs: 0 };
    }
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
    if (this.o.remote && !this.o.lookupOnly) {
      const r = await this.o.remote.lookup(key, action);
      if (r.result && this.restore(r.result)) {
        this.o.actionCache.put(key, r.result);
        this.o.history.record(action, key, keyInputs, 'cached', r.result.durationMs, r.note);
        return { ok: true, status: 'cached', cache: 'remote', key, outputs: r.result.outputs, durationMs: Date.now() - started };
      }
      note = r.note;
    }
    this.misses.set(action.id, { key, keyInputs, note });
    return undefined;
  }

  /** The key of an action `tryCache` found in no cache. */
  missed(action: Action): { readonly key: Sha256; readonly keyInputs: ActionKeyInputs } | undefined {
    return this.misses.get(action.id);
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
    const outcome = await this.run(action, signal, commandExited);
    if (!outcome.ok) {
      this.o.history.record(action, key, keyInputs, 'failed', outcome.durationMs, outcome.error);
      return { ...outcome, key };
    }
    for (const o of outcome.outputs) this.produced.set(o.path, o);
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
      const q = this.rowsWritten.catch(() => {}).finally(() => this.background.delete(q));
      this.background.add(q);
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
    if (!result.outputs.every((o) => this.placement.materialize(o))) return false;
    for (const o of result.outputs) this.produced.set(o.path, o);
    return true;
  }

  private async run(action: Action, signal: AbortSignal, commandExited?: () => void): Promise<RunOutcome> {
    switch (action.kind) {
      case 'write':
        return runWrite(action, this.o.blobs, this.placement);
      case 'fetch':
        return runFetch(action, this.o.blobs, this.placement, signal);
      case 'run':
        return this.commands.run(action, signal, commandExited);
      default: {
        const never: never = action.kind;
        throw new Error(`unknown action kind ${never} (this is an xbuild bug)`);
      }
    }
  }
}
