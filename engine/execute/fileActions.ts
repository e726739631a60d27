/**
 * The two actions that run no command: `write` (bytes given by the rule) and `fetch` (a pinned
 * download, checked against its sha256 before anything is stored).
 */
import { rmSync } from 'node:fs';
import type { Action } from '../analyze/action.js';
import type { OutputEntry } from '../../cache/actionCache.js';
import type { BlobStore } from '../../cache/blobStore.js';
import { fetchPinned } from './fetcher.js';
import type { OutputPlacement } from './outputPlacement.js';
import type { RunOutcome } from './commandAction.js';

/** How a fetch whose file the server no longer has fails (the CLI explains stale lock pins from it). */
export const NOT_SERVED = 'not served any more (HTTP 404), nothing stored:';

export function runWrite(action: Action, blobs: BlobStore, placement: OutputPlacement): RunOutcome {
  const started = Date.now();
  const entry: OutputEntry = { path: action.outputs[0].path, kind: 'file', digest: blobs.putBytes(action.content ?? ''), executable: action.executable ?? false };
  place(entry, placement);
  return { ok: true, outputs: [entry], durationMs: Date.now() - started };
}

export async function runFetch(action: Action, blobs: BlobStore, placement: OutputPlacement, signal: AbortSignal): Promise<RunOutcome> {
  const started = Date.now();
  const tmp = blobs.tempPath();
  const r = await fetchPinned(action.urls ?? [], action.sha256 ?? '', tmp, signal);
  if (!r.ok) {
    rmSync(tmp, { force: true });
    if (r.notServed) {
      // Retrying cannot help: the server no longer has the file. The pin is the user's input to
      // update (for an apt-mirror:// pin, the lock is stale: `xbuild lock update`).
      return { ok: false, error: `${NOT_SERVED} ${(action.urls ?? []).join(' ')}:\n  ${r.errors.join('\n  ')}`, durationMs: Date.now() - started, blame: 'user' };
    }
    // A digest mismatch is the pin's (the user's input); anything else is the network or the server.
    return { ok: false, error: `fetch failed, nothing stored:\n  ${r.errors.join('\n  ')}`, durationMs: Date.now() - started, blame: r.errors.some((e) => e.includes('mismatch')) ? 'user' : 'environment' };
  }
  const digest = blobs.putFileSync(tmp);
  rmSync(tmp, { force: true });
  const entry: OutputEntry = { path: action.outputs[0].path, kind: 'file', digest, executable: false };
  place(entry, placement);
  return { ok: true, outputs: [entry], durationMs: Date.now() - started };
}

function place(entry: OutputEntry, placement: OutputPlacement): void {
  if (!placement.materialize(entry)) throw new Error(`could not materialise ${entry.path} (this is an xbuild bug)`);
}
