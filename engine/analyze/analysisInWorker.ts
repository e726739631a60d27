/**
 * Loading and analysis run in a worker thread (engine/analyze/analysisWorker.ts), never in the main
 * thread: BUILD code gets its own V8 heap with a limit (`resourceLimits`), a thread that can be
 * stopped when it runs too long, an empty environment and no command-line arguments (the
 * worker's `process.env`/`argv` hold nothing of xbuild's, e.g. not `--sign-with`), and a realm
 * locked down by SES around the build realm. Only the analysis result comes back: the graph,
 * what was read (for the analysis cache and the up-to-date stamp), and what was transpiled.
 * The graph comes as JSON text (`graphJson`).
 *
 * An unchanged workspace never gets here: the analysis cache and the up-to-date stamp are
 * checked in the main thread first.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DIST } from '../installation.js';
import type { Action, ConfiguredTarget } from './action.js';
import { diag, type Diagnostic } from '../report/diagnostics.js';
import { ActivityBoard, evaluationLimits, type Activity, type EvaluationLimits } from '../load/evaluationLimits.js';
import type { LabelString } from '../load/label.js';
import type { TranspiledModule } from '../load/loader.js';

/** What the worker is asked to analyse. */
export interface AnalysisRequest {
  readonly root: string;
  readonly patterns: readonly string[];
  /** Absolute path of xbuild's rules/ folder (ctx.ruleFile). */
  readonly rulesDir: string;
  /** URL of the module BUILD files import as "xbuild" (the rules). */
  readonly rulesModule: string;
  /** The cache database (the worker reads transpiled code from it). */
  readonly dbPath: string;
  /** Run under V8's debugger to find where values without a stack were thrown. */
  readonly locateThrows?: boolean;
}

interface Common {
  /** Transpiled code the worker made, by source digest, for the transpile cache. */
  readonly transpiled: readonly (readonly [string, TranspiledModule])[];
}

/** The graph as lists (what the worker sends, and what the analysis cache stores). */
export interface AnalysisGraph {
  readonly targets: readonly ConfiguredTarget[];
  readonly actions: readonly Action[];
  readonly requested: readonly LabelString[];
}

/** What the worker answers. */
export type AnalysisReply =
  | (Common & {
    readonly kind: 'ok';
    readonly labels: readonly string[];
    /**
     * JSON of `AnalysisGraph`: text crosses to the main thread faster than the same objects
     * by structured clone, and the analysis cache stores this text as it is.
     */
    readonly graphJson: string;
    readonly record: {
      readonly files: readonly string[];
      readonly probes: readonly (readonly [string, string])[];
      readonly walks: readonly (readonly [string, readonly string[]])[];
      readonly dirs: readonly (readonly [string, readonly string[]])[];
    };
    readonly readDigests: readonly (readonly [string, string])[];
  })
  | (Common & {
    readonly kind: 'failed';
    readonly diagnostics: readonly Diagnostic[];
    /** Some diagnostic lacks the position of a value thrown without a stack. */
    readonly stackless: boolean;
  })
  | (Common & { readonly kind: 'internal'; readonly stack: string });

/** What the worker sends after an 'ok' reply: the analysis cache's row (engine/analyze/analysisCache.ts encodeAnalysis). */
export interface CacheValueMessage {
  readonly kind: 'cache-value';
  readonly value: Uint8Array;
}

/**
 * The worker's reply and, after an 'ok' one, the row the analysis cache stores: the worker
 * deflates it while the main thread parses the graph (undefined if it did not come).
 */
export interface WorkerAnalysis {
  readonly reply: AnalysisReply;
  readonly cacheValue: Promise<Uint8Array | undefined>;
}

/** Runs one analysis in a fresh worker under the evaluation limits. */
export async function analyzeInWorker(req: AnalysisRequest, limits: EvaluationLimits = evaluationLimits()): Promise<WorkerAnalysis> {
  const board = ActivityBoard.create();
  const worker = new Worker(join(DIST, 'engine/analyze/analysisWorker.js'), {
    workerData: { ...req, board: board.buffer },
    env: {},
    argv: [],
    execArgv: [],
    // A young generation of 64 MB, more than V8 gives a worker by default: the universe's analysis
    // keeps most of what it allocates, and 44 scavenges instead of 77 cost ~80 ms less.
    resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: 64 },
  });
  let cacheValue!: (v: Uint8Array | undefined) => void;
  const cacheValuePromise = new Promise<Uint8Array | undefined>((r) => { cacheValue = r; });
  const reply = await new Promise<AnalysisReply>((resolve, reject) => {
    let stopped: Diagnostic | undefined;
    let failure: Error | undefined;
    let answered = false;
    const watchdog = setInterval(() => {
      const now = board.current();
      if (!stopped && now && Date.now() - now.since > limits.timeoutMs) {
        stopped = limitDiagnostic('time', now.activity, limits);
        void worker.terminate();
      }
    }, 100);
    worker.on('message', (m: AnalysisReply | CacheValueMessage) => {
      if (m.kind === 'cache-value') {
        cacheValue(m.value);
        void worker.terminate();
        return;
      }
      answered = true;
      clearInterval(watchdog);
      resolve(m);
      if (m.kind !== 'ok') void worker.terminate();
    });
    worker.once('error', (e: Error) => {
      if ((e as NodeJS.ErrnoException).code === 'ERR_WORKER_OUT_OF_MEMORY') stopped ??= limitDiagnostic('memory', board.running() ? board.last() : undefined, limits);
      else failure = e;
    });
    worker.once('exit', () => {
      clearInterval(watchdog);
      cacheValue(undefined);
      if (answered) return;
      if (stopped) resolve({ kind: 'failed', diagnostics: [stopped], stackless: false, transpiled: [] });
      else reject(failure ?? new Error('the analysis worker stopped without an answer (this is an xbuild bug)'));
    });
  });
  return { reply, cacheValue: cacheValuePromise };
}

function limitDiagnostic(which: 'time' | 'memory', a: Activity | undefined, limits: EvaluationLimits): Diagnostic {
  const what = a?.what ?? 'the analysis (no BUILD code was running)';
  if (which === 'time') {
    return diag('time-limit', `evaluating ${what} took longer than ${limits.timeoutMs / 1000} s, the time limit of one BUILD file or rule implementation`,
      a?.where, ['the limit is XBUILD_EVAL_TIMEOUT_MS (milliseconds); a BUILD file that loops forever never finishes']);
  }
  return diag('memory-limit', `evaluating ${what} used more than ${limits.memoryMb} MiB, the memory limit of loading and analysis`,
    a?.where, ['the limit is XBUILD_EVAL_MEMORY_MB (MiB), for the whole analysis of one command']);
}
