/**
 * Build events: the only way the engine reports what happens. The core never prints; loggers
 * (engine/report/loggers.ts) turn events into terminal output, plain lines or NDJSON (--events=FILE).
 */
import type { ActionId } from '../analyze/action.js';
import type { LabelString } from '../load/label.js';

export type CacheSource = 'local' | 'remote';

export type BuildEvent =
  | { readonly type: 'build_started'; readonly patterns: readonly string[]; readonly jobs: number; readonly time: number }
  | { readonly type: 'analysis_finished'; readonly targets: number; readonly actions: number; readonly fromCache: boolean; readonly ms: number }
  | {
      /** What the build will do: actions to consider, and their recorded durations (for ETAs). */
      readonly type: 'build_planned'; readonly actions: number; readonly jobs: number;
      readonly estimates: Readonly<Record<string, number>>;
    }
  | { readonly type: 'action_started'; readonly id: ActionId; readonly label: LabelString; readonly mnemonic: string; readonly progress: string; readonly time: number }
  | {
      readonly type: 'action_finished'; readonly id: ActionId; readonly label: LabelString; readonly mnemonic: string;
      /** executed: the command ran; cached: outputs restored from a cache; failed: it ran and failed. */
      readonly status: 'executed' | 'cached' | 'failed';
      readonly cache?: CacheSource; readonly key: string; readonly durationMs: number;
      readonly logPath?: string; readonly exitCode?: number; readonly error?: string; readonly logTail?: string;
      readonly reason?: string;
    }
  | { readonly type: 'action_skipped'; readonly id: ActionId; readonly label: LabelString; readonly mnemonic: string; readonly because: ActionId; readonly becauseLabel: LabelString }
  | { readonly type: 'warning'; readonly message: string }
  | { readonly type: 'info'; readonly message: string }
  | {
      readonly type: 'build_finished'; readonly ok: boolean; readonly executed: number; readonly cached: number;
      readonly failed: number; readonly skipped: number; readonly durationMs: number; readonly outputs: readonly string[];
      readonly outDir: string; readonly cacheStats?: Readonly<Record<string, number>>;
      /** CPU time of xbuild's own process (all its threads, not the commands it ran), ms; absent on the up-to-date fast path. */
      readonly engineCpuMs?: { readonly user: number; readonly system: number };
    };

export type EventSink = (e: BuildEvent) => void;

/** CPU time this process has used so far (all threads), in ms, for build_finished. */
let cpuAtStart: NodeJS.CpuUsage | undefined;
/** Counts the engine's CPU from now (a build server, cli/buildServer.ts, at each build); else from the process's start. */
export function resetEngineCpu(): void {
  cpuAtStart = process.cpuUsage();
}

export function engineCpuMs(): { user: number; system: number } {
  const u = process.cpuUsage(cpuAtStart);
  return { user: Math.round(u.user / 1000), system: Math.round(u.system / 1000) };
}
