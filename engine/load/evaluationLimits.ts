/**
 * Limits of BUILD evaluation: how long one BUILD file (with the modules it imports first) or
 * one call of a rule implementation may run, and how much memory the analysis worker's heap
 * may hold. A file that loops forever or fills memory becomes a diagnostic naming it and the
 * limit, and xbuild exits 2.
 *
 * The worker announces each entry into the build realm on an `ActivityBoard` (shared memory,
 * written without messages: 20,000 entries per analysis), and the main thread, idle while it
 * waits, checks it every 100 ms. It terminates a worker that has spent longer than the limit
 * in one entry; a worker that runs out of heap is stopped by V8 (`resourceLimits`) and the
 * board still says what it was evaluating.
 */
import type { SourceLocation } from '../report/diagnostics.js';

export interface EvaluationLimits {
  /** Per BUILD file or rule implementation call (XBUILD_EVAL_TIMEOUT_MS, default 10 s). */
  readonly timeoutMs: number;
  /** The analysis worker's heap (XBUILD_EVAL_MEMORY_MB, default 2048 MiB). */
  readonly memoryMb: number;
}

export const DEFAULT_LIMITS: EvaluationLimits = { timeoutMs: 10_000, memoryMb: 2048 };

/** The limits, from the environment where set (positive integers), else the defaults. */
export function evaluationLimits(env: NodeJS.ProcessEnv = process.env): EvaluationLimits {
  const num = (v: string | undefined, d: number) => (v && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : d);
  return { timeoutMs: num(env.XBUILD_EVAL_TIMEOUT_MS, DEFAULT_LIMITS.timeoutMs), memoryMb: num(env.XBUILD_EVAL_MEMORY_MB, DEFAULT_LIMITS.memoryMb) };
}

/** What the build realm is running: its name for a message and where it is. */
export interface Activity {
  readonly what: string;
  readonly where?: SourceLocation;
}

const HEADER = 16;
const TEXT = 8192;

/**
 * One slot in shared memory: [0] a sequence number, odd while the realm runs; [1] the byte
 * length of the activity (JSON); bytes 8-15 when it started (ms since the epoch); then the JSON.
 */
export class ActivityBoard {
  private readonly ints: Int32Array;
  private readonly since: Float64Array;
  private readonly bytes: Uint8Array;
  private readonly encoder = new TextEncoder();

  static create(): ActivityBoard {
    return new ActivityBoard(new SharedArrayBuffer(HEADER + TEXT));
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer, 0, 2);
    this.since = new Float64Array(buffer, 8, 1);
    this.bytes = new Uint8Array(buffer, HEADER, TEXT);
  }

  /** The worker: realm code starts running `a`. */
  enter(a: Activity): void {
    const { written } = this.encoder.encodeInto(JSON.stringify(a), this.bytes);
    this.ints[1] = written;
    this.since[0] = Date.now();
    Atomics.add(this.ints, 0, 1); // odd: running
  }

  /** The worker: the realm returned. */
  leave(): void {
    Atomics.add(this.ints, 0, 1); // even: idle
  }

  /** The main thread: what runs now and since when, or undefined when the realm is idle. */
  current(): { readonly activity: Activity; readonly since: number } | undefined {
    for (let tries = 0; tries < 3; tries++) {
      const seq = Atomics.load(this.ints, 0);
      if (seq % 2 === 0) return undefined;
      const since = this.since[0];
      const activity = this.last();
      if (Atomics.load(this.ints, 0) !== seq) continue;
      return activity && { activity, since };
    }
    return undefined;
  }

  /** The last activity announced, running or not (after the worker died). */
  last(): Activity | undefined {
    try {
      return JSON.parse(new TextDecoder().decode(this.bytes.slice(0, this.ints[1]))) as Activity;
    } catch {
      return undefined;
    }
  }

  /** Whether the realm was running when the worker stopped. */
  running(): boolean {
    return Atomics.load(this.ints, 0) % 2 === 1;
  }
}
