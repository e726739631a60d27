/**
 * Checking a lock against the archive as it is now: is every pin still served (a HEAD request
 * for each of its files), and does the archive serve a newer version of it?
 *
 * A pin that is not served makes the build fail (its fetch answers 404): `missing`. A pin
 * that is served but has a newer served version still builds, but is behind Debian (e.g. a
 * security update): `outdated`. Each comes with what the archive has now.
 */
import type { AptArchive, BinaryRecord, SourceRecord } from './aptArchive.js';
import { compareDebVersions } from './debVersion.js';
import { lockPins, type DebianLock, type PinRef } from './lockFile.js';
import { poolUrl } from './resolve.js';
import type { ServedCheck } from './served.js';

export interface StalePin {
  readonly ref: PinRef;
  readonly state: 'missing' | 'outdated';
  /** Why it is not served (missing), or the newer version's suite (outdated). */
  readonly detail: string;
  /** The newest version the archive serves now, if any. */
  readonly now?: string;
}

export interface CheckResult {
  readonly pins: number;
  readonly files: number;
  readonly stale: readonly StalePin[];
}

/** Resolves `apt-mirror://<archive>/<path>` the way the fetcher does (the repository whose URI ends in <archive>). */
function urlFor(repos: readonly string[], archive: string, path: string): string | undefined {
  const base = repos.find((u) => u.replace(/\/+$/, '').split('/').pop() === archive);
  return base ? base.replace(/\/*$/, '/') + path : undefined;
}

export async function checkLock(lock: DebianLock, archive: AptArchive, served: ServedCheck): Promise<CheckResult> {
  const idx = await archive.index();
  const repos = [...new Set([...idx.sources.values(), ...idx.packages.values()].flatMap((l) => l.map((r) => r.origin.repoUri)))];
  const pins = lockPins(lock);
  const results = await Promise.all(pins.map(async ({ ref, files }): Promise<StalePin | undefined> => {
    for (const f of files) {
      const url = urlFor(repos, f.archive, f.path);
      const s = url ? await served.check(url, f.size) : { ok: false as const, why: `no apt source has an archive named "${f.archive}"` };
      if (!s.ok) {
        const now = await newestServed(ref, idx, served, lock.arch);
        return { ref, state: 'missing', detail: `${f.path.split('/').pop()}: ${s.why}`, now: now?.version };
      }
    }
    const now = await newestServed(ref, idx, served, lock.arch);
    if (now && compareDebVersions(now.version, ref.version) > 0) {
      return { ref, state: 'outdated', detail: `${now.origin.release} serves ${now.version}`, now: now.version };
    }
    return undefined;
  }));
  return {
    pins: pins.length,
    files: pins.reduce((n, p) => n + p.files.length, 0),
    stale: results.filter((r): r is StalePin => r !== undefined)
      .sort((a, b) => (a.state !== b.state ? (a.state === 'missing' ? -1 : 1) : a.ref.name < b.ref.name ? -1 : 1)),
  };
}

/** The newest version of a pinned package whose files the archive serves. */
async function newestServed(ref: PinRef, idx: Awaited<ReturnType<AptArchive['index']>>, served: ServedCheck, arch: string): Promise<SourceRecord | BinaryRecord | undefined> {
  if (ref.kind === 'source') {
    for (const r of idx.sources.get(ref.name) ?? []) {
      const ok = await Promise.all(r.files.map((f) => served.check(poolUrl(r.origin, `${r.directory}/${f.name}`), f.size)));
      if (ok.every((s) => s.ok)) return r;
    }
    return undefined;
  }
  const want = ref.arch && ref.arch !== 'all' ? ref.arch : arch;
  for (const r of idx.packages.get(ref.name) ?? []) {
    if (r.arch !== want && r.arch !== 'all') continue;
    if ((await served.check(poolUrl(r.origin, r.filename), r.size)).ok) return r;
  }
  return undefined;
}

/** One line per stale pin, for people. */
export function describeStale(s: StalePin): string {
  const what = `${s.ref.kind} ${s.ref.name} ${s.ref.version}`;
  if (s.state === 'missing') return `missing   ${what} (${s.ref.section}): not served: ${s.detail}; the archive now has ${s.now ?? 'no served version'}`;
  return `outdated  ${what} (${s.ref.section}): ${s.detail}`;
}
