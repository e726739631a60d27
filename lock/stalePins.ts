/**
 * Explaining a build that met stale pins: fetches of `apt-mirror://` files the archive no longer
 * serves. Says which pin of the lock each one is, what the archive has now, and the one command
 * that fixes it, instead of leaving a bare HTTP 404 per fetch.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AptArchive, machineDebianSources } from './aptArchive.js';
import { checkLock } from './check.js';
import { readLockConfig } from './lockConfig.js';
import { lockPins, readLock, type DebianLock } from './lockFile.js';
import { ServedCheck } from './served.js';

/** The `apt-mirror://` URLs of failures that say their file is not served (see engine/execute/executor.ts NOT_SERVED). */
export function notServedUrls(failures: readonly { readonly error: string }[], marker: string): string[] {
  const urls = new Set<string>();
  for (const f of failures) {
    if (!f.error.startsWith(marker)) continue;
    for (const m of f.error.split('\n')[0].matchAll(/apt-mirror:\/\/\S+?(?=[\s:]*$|\s)/g)) urls.add(m[0]);
  }
  return [...urls];
}

/** Lines for the user, or undefined when no failure is a stale pin. */
export async function stalePinReport(root: string, cacheDir: string, urls: readonly string[]): Promise<string[] | undefined> {
  if (!urls.length) return undefined;
  const config = readLockConfig(root);
  const lockRel = relative(root, config.lockPath);
  const lock: DebianLock | undefined = existsSync(config.lockPath) ? readLock(config.lockPath) : undefined;
  const wanted = new Set(urls.map((u) => u.replace(/^apt-mirror:\/\//, '')));
  const refs = lock ? lockPins(lock).filter((p) => p.files.some((f) => wanted.has(`${f.archive}/${f.path}`))) : [];
  const lines = [`error[stale-pin] Debian's archive no longer serves ${urls.length === 1 ? 'a file' : `${urls.length} files`} that ${lockRel} pins:`];
  if (lock && refs.length) {
    const sources = machineDebianSources();
    const arches = [config.arch, ...config.foreignArches];
    const key = createHash('sha256').update(`${arches.join(',')}\n${sources.text}`).digest('hex').slice(0, 16);
    const archive = new AptArchive(join(cacheDir, 'apt', key), sources.text, config.arch, config.foreignArches);
    await archive.update();
    const served = new ServedCheck();
    try {
      const only: DebianLock = { ...lock, sources: {}, buildRoot: { ...lock.buildRoot, packages: [] }, binaries: {}, inputs: {} };
      for (const r of refs) {
        if (r.ref.section === 'sources') (only.sources as Record<string, unknown>)[r.ref.name] = lock.sources[r.ref.name];
        else if (r.ref.section === 'buildRoot') (only.buildRoot.packages as unknown[]).push(lock.buildRoot.packages.find((p) => p.name === r.ref.name));
        else (only[r.ref.section as 'binaries' | 'inputs'] as Record<string, unknown>)[r.ref.name] = lock[r.ref.section as 'binaries' | 'inputs'][r.ref.name];
      }
      const result = await checkLock(only, archive, served);
      for (const s of result.stale) lines.push(`  ${s.ref.kind} ${s.ref.name} ${s.ref.version} (${s.ref.section}): ${s.detail}; the archive now has ${s.now ?? 'no served version'}`);
    } finally {
      served.close();
    }
  } else {
    for (const u of urls) lines.push(`  ${u}`);
  }
  lines.push('  fix: xbuild lock update   (it pins what the archive serves now; scripts/setup.sh runs `xbuild lock ensure`, which does this when needed)');
  return lines;
}
