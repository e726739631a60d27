/**
 * The helper thread of a stamp check (engine/incremental/stampCheck.ts). A thread takes ~20 ms to start, so
 * a build command starts it first thing when the workspace's last stamp was large, and the
 * check hands it the stamp when it has read it. Light imports only: this runs before the check.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../installation.js';
import { Worker } from 'node:worker_threads';

/** From this many entries a helper thread checks stats alongside the main thread. */
export const PARALLEL_FROM = 30_000;
/** Each stamp entry takes at least this many bytes (32 of stats, 4 of offset, the path). */
const MIN_BYTES_PER_ENTRY = 40;

let early: Worker | undefined;

/** Starts a helper if some stamp in `stateDir` has at least `entries` entries. */
export function startEarlyHelper(stateDir: string, entries: number): void {
  if (early) return;
  try {
    // The newest stamp is most likely this build's.
    const dir = join(stateDir, 'stamps');
    let newest = { mtimeMs: -1, size: 0 };
    for (const n of readdirSync(dir)) {
      if (n.length !== 32) continue;
      const st = statSync(join(dir, n));
      if (st.mtimeMs > newest.mtimeMs) newest = st;
    }
    if (newest.size >= entries * MIN_BYTES_PER_ENTRY) early = startHelper();
  } catch { /* no stamps yet */ }
}

/** The early helper if there is one, else a new one (undefined if threads are unavailable). */
export function takeHelper(): Worker | undefined {
  const w = early ?? startHelper();
  early = undefined;
  return w;
}

/** Stops an early helper nobody took. */
export function dropEarlyHelper(): void {
  if (early) void early.terminate();
  early = undefined;
}

function startHelper(): Worker | undefined {
  try {
    const w = new Worker(join(DIST, 'engine/incremental/stampCheckWorker.js'));
    w.unref();
    w.on('error', () => undefined); // the main thread checks whatever the helper leaves
    return w;
  } catch {
    return undefined;
  }
}
