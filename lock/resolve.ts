/**
 * Resolving the Debian lock: for each source and binary the request needs, the newest version
 * whose every file this machine's archive actually serves.
 *
 * - Sources: every version the Sources indices list (all suites: bookworm, -updates,
 *   -security), newest first; the first one whose .dsc and every file it lists answer a HEAD
 *   request is taken, and each newer one passed over is recorded with the file that failed.
 * - Binaries (the build root and each source's build dependencies): apt's own resolver decides
 *   which packages (`apt-get -s`, against a private state); a version it picks that is not
 *   served is excluded with an apt preference (Pin-Priority -1) and apt resolves again, until
 *   every pick is served. The build root is mmdebstrap's `buildd` set: Essential:yes and
 *   Priority:required packages of the suite, apt and build-essential.
 * - A source built here whose Debian binaries are newer than it (a security update whose
 *   source the archive does not serve) is a warning in the lock: the XSC version (`+xsc1`)
 *   would sort above Debian's without carrying its fix.
 */
import { archMatches } from './debRelations.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AptArchive, BinaryRecord, IndexOrigin, SourceRecord } from './aptArchive.js';
import { AptError } from './aptArchive.js';
import { compareDebVersions } from './debVersion.js';
import type { LockConfig } from './lockConfig.js';
import { LOCK_COMMENT, type DebPin, type DebianLock, type PassedOver, type SourcePin } from './lockFile.js';
import type { ServedCheck } from './served.js';

export interface ResolveContext {
  readonly archive: AptArchive;
  readonly served: ServedCheck;
  readonly config: LockConfig;
  readonly log: (message: string) => void;
}

/** The URL of a pool path in the repository an index came from. */
export function poolUrl(origin: IndexOrigin, path: string): string {
  return origin.repoUri.replace(/\/*$/, '/') + path;
}

/** The archive name a pin records: the last path component of the repository's URI. */
export function archiveName(origin: IndexOrigin): string {
  return origin.repoUri.replace(/\/+$/, '').split('/').pop() ?? '';
}

const MAX_ROUNDS = 25;

export async function resolveLock(ctx: ResolveContext): Promise<DebianLock> {
  const { archive, config, log } = ctx;
  const idx = await archive.index();
  const passedOver: PassedOver[] = [];

  // 1. Sources.
  const sourceNames = [...new Set([...config.set, ...Object.keys(config.toolchainSources)])];
  const chosenSources = new Map<string, SourceRecord>();
  for (const name of sourceNames) {
    const recs = idx.sources.get(name);
    if (!recs?.length) throw new AptError(`no source package "${name}" in the archive's Sources indices (check packages/set.txt)`);
    const chosen = await newestServedSource(ctx, recs, passedOver);
    if (!chosen) throw new AptError(`source package "${name}": the archive serves none of its versions (${recs.map((r) => r.version).join(', ')})`);
    chosenSources.set(name, chosen);
  }
  log(`sources: ${[...chosenSources].map(([n, r]) => `${n} ${r.version}`).join(', ')}`);

  // 2. Binaries: the build root, then each source's build dependencies, until apt's picks are all served.
  const excluded = new Map<string, Set<string>>();
  const prefsPath = join(archive.stateDir, 'lock.pref');
  const rootStatus = join(archive.stateDir, 'root.status');
  let root: BinaryRecord[] = [];
  let buildDeps = new Map<string, BinaryRecord[]>();
  let crossTools = new Map<string, BinaryRecord[]>();
  for (let round = 0; ; round++) {
    if (round === MAX_ROUNDS) throw new AptError(`apt keeps picking versions the archive does not serve after ${MAX_ROUNDS} rounds`);
    writeFileSync(prefsPath, [...excluded].flatMap(([n, vs]) => [...vs].map((v) => `Package: ${n}\nPin: version ${v}\nPin-Priority: -1\n`)).join('\n'));
    const before = excludedCount(excluded);
    root = await servedPicks(ctx, await archive.simulate(['install', ...buildddRequest(idx.packages, config)], { prefs: prefsPath }), excluded, passedOver);
    if (excludedCount(excluded) !== before) continue;
    writeFileSync(rootStatus, root.map((r) => `${r.paragraph.trimEnd()}\nStatus: install ok installed\n`).join('\n'));
    buildDeps = new Map();
    for (const [name, rec] of chosenSources) {
      const needs = config.toolchainSources[name]?.needs;
      const args = needs ? ['install', ...needs] : ['build-dep', '--arch-only', `${name}=${rec.version}`];
      const picks = await archive.simulate(args, { status: rootStatus, prefs: prefsPath, profiles: config.buildProfiles });
      buildDeps.set(name, await servedPicks(ctx, picks, excluded, passedOver));
    }
    crossTools = new Map();
    for (const [target, names] of Object.entries(config.crossTools)) {
      const picks = await archive.simulate(['install', ...names], { status: rootStatus, prefs: prefsPath });
      crossTools.set(target, await servedPicks(ctx, picks, excluded, passedOver));
    }
    if (excludedCount(excluded) === before) break;
  }
  log(`build root: ${root.length} packages; build dependencies beyond it: ${new Set([...buildDeps.values()].flat().map((r) => r.name)).size} packages`
    + `${crossTools.size ? `; cross tools: ${[...crossTools].map(([t, l]) => `${t} ${l.length} packages`).join(', ')}` : ''}`);

  // 3. .debs rules take whole.
  const inputs: Record<string, DebPin> = {};
  for (const entry of config.inputDebs) {
    // `name:arch`: a foreign architecture's .deb (keyed in the lock by the same string).
    const [name, arch = config.arch] = entry.split(':');
    const recs = (idx.packages.get(name) ?? []).filter((r) => r.arch === arch || r.arch === 'all');
    let chosen: BinaryRecord | undefined;
    for (const r of recs) {
      const s = await ctx.served.check(poolUrl(r.origin, r.filename), r.size);
      if (s.ok) {
        chosen = r;
        break;
      }
      passedOver.push({ kind: 'deb', name, version: r.version, suite: r.origin.release, why: `${r.filename.split('/').pop()}: ${s.why}` });
    }
    if (!chosen) throw new AptError(`binary package "${entry}" (packages/lock.config.json inputDebs): the archive serves none of its versions`);
    inputs[entry] = debPin(chosen);
  }

  // 4. Warnings: a source older than the Debian binaries it replaces.
  const warnings = olderSourceWarnings(chosenSources, idx.packages, passedOver, config);

  const sources: Record<string, SourcePin> = {};
  for (const [name, rec] of [...chosenSources].sort(([a], [b]) => (a < b ? -1 : 1))) {
    sources[name] = {
      version: rec.version,
      files: rec.files.map((f) => ({ name: f.name, archive: archiveName(rec.origin), path: `${rec.directory}/${f.name}`, sha256: f.sha256, size: f.size })),
      buildDepends: [...new Set((buildDeps.get(name) ?? []).map((b) => b.name))].sort(),
      debs: archOnlyDebs(rec, config),
    };
  }
  const binaries: Record<string, DebPin> = {};
  for (const b of [...buildDeps.values(), ...crossTools.values()].flat().sort((x, y) => (x.name < y.name ? -1 : 1))) binaries[b.name] = debPin(b);
  return {
    comment: LOCK_COMMENT,
    format: 2,
    suite: config.suite,
    arch: config.arch,
    buildProfiles: [...config.buildProfiles],
    set: [...config.set],
    toolchainSources: Object.keys(config.toolchainSources),
    sources,
    buildRoot: { variant: config.buildRoot, packages: root.map(debPin).sort((a, b) => (a.name < b.name ? -1 : 1)) },
    binaries,
    inputs: Object.fromEntries(Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1))),
    ...(config.foreignArches.length ? { foreignArches: [...config.foreignArches] } : {}),
    ...(crossTools.size ? { crossTools: Object.fromEntries([...crossTools].map(([t, l]) => [t, l.map((r) => r.name).sort()])) } : {}),
    passedOver: dedupePassedOver(passedOver),
    warnings,
  };
}

/**
 * A source built here whose Debian binaries come from a newer source version (a security update
 * whose source the archive does not serve): the XSC build would sort above Debian's without
 * carrying its changes. One warning per such source.
 */
export function olderSourceWarnings(chosen: ReadonlyMap<string, SourceRecord>, packages: ReadonlyMap<string, readonly BinaryRecord[]>,
  passedOver: readonly PassedOver[], config: Pick<LockConfig, 'arch' | 'buildProfiles'>): string[] {
  const bySource = new Map<string, BinaryRecord[]>();
  for (const list of packages.values()) {
    for (const b of list) if (chosen.has(b.source)) (bySource.get(b.source) ?? bySource.set(b.source, []).get(b.source)!).push(b);
  }
  const warnings: string[] = [];
  for (const [name, rec] of chosen) {
    const own = new Set(archOnlyDebs(rec, config));
    let newest: BinaryRecord | undefined;
    for (const b of bySource.get(name) ?? []) {
      if (compareDebVersions(b.sourceVersion, rec.version) <= 0) continue;
      const better = !newest || compareDebVersions(b.sourceVersion, newest.sourceVersion) > 0
        || (compareDebVersions(b.sourceVersion, newest.sourceVersion) === 0 && own.has(b.name) && !own.has(newest.name));
      if (better) newest = b;
    }
    if (!newest) continue;
    const why = passedOver.find((p) => p.kind === 'source' && p.name === name && p.version === newest!.sourceVersion);
    warnings.push(`${name}: the lock builds source ${rec.version}, but Debian's binary ${newest.name} ${newest.version} (${newest.origin.release}) `
      + `comes from source ${newest.sourceVersion}${why ? `, which the archive does not serve (${why.why})` : ', which the lock did not take'}: `
      + `the XSC build ${rec.version}+xsc1 sorts above Debian's without carrying its changes (e.g. a security fix)`);
  }
  return warnings;
}

export function excludedCount(m: Map<string, Set<string>>): number {
  let n = 0;
  for (const s of m.values()) n += s.size;
  return n;
}

/** mmdebstrap's `buildd` set as an apt request: Essential:yes and Priority:required of the suite, apt, build-essential. */
export function buildddRequest(packages: ReadonlyMap<string, readonly BinaryRecord[]>, config: Pick<LockConfig, 'suite' | 'arch'>): string[] {
  const want = new Set<string>(['apt', 'build-essential']);
  for (const [name, recs] of packages) {
    const r = recs.find((x) => x.origin.release === config.suite && (x.arch === config.arch || x.arch === 'all'));
    if (r && (r.essential || r.priority === 'required')) want.add(name);
  }
  return [...want].sort();
}

/** The newest version of a source whose every file is served (recording the ones passed over). */
export async function newestServedSource(ctx: Pick<ResolveContext, 'served'>, recs: readonly SourceRecord[], passedOver: PassedOver[]): Promise<SourceRecord | undefined> {
  const failed: PassedOver[] = [];
  for (const rec of recs) {
    const answers = await Promise.all(rec.files.map(async (f) => ({ f, s: await ctx.served.check(poolUrl(rec.origin, `${rec.directory}/${f.name}`), f.size) })));
    const bad = answers.find((a) => !a.s.ok);
    if (!bad) {
      // Another suite serving the same version makes that version's failures moot.
      passedOver.push(...failed.filter((p) => p.version !== rec.version));
      return rec;
    }
    failed.push({ kind: 'source', name: rec.name, version: rec.version, suite: rec.origin.release, why: `${bad.f.name}: ${(bad.s as { why: string }).why}` });
  }
  passedOver.push(...failed);
  return undefined;
}

/**
 * The records of apt's picks, each served; a pick that is not served is added to `excluded`
 * (and to `passedOver`) so that the next round's preferences keep apt away from it.
 */
export async function servedPicks(ctx: Pick<ResolveContext, 'archive' | 'served' | 'log'>, picks: readonly { name: string; version: string; arch?: string }[], excluded: Map<string, Set<string>>, passedOver: PassedOver[]): Promise<BinaryRecord[]> {
  const idx = await ctx.archive.index();
  const out: BinaryRecord[] = [];
  await Promise.all(picks.map(async (p) => {
    // With foreign arches read, one name and version can be in two Packages indices: take apt's arch.
    const recs = (idx.packages.get(p.name) ?? []).filter((r) => r.version === p.version && (!p.arch || r.arch === p.arch));
    if (!recs.length) throw new AptError(`apt picked ${p.name} ${p.version}, which no Packages index lists (this is an xbuild bug)`);
    let why = '';
    for (const r of recs) {
      const s = await ctx.served.check(poolUrl(r.origin, r.filename), r.size);
      if (s.ok) {
        out.push(r);
        return;
      }
      why = `${r.filename.split('/').pop()}: ${s.why}`;
    }
    const set = excluded.get(p.name) ?? new Set<string>();
    set.add(p.version);
    excluded.set(p.name, set);
    passedOver.push({ kind: 'deb', name: p.name, version: p.version, suite: recs[0].origin.release, why });
    ctx.log(`${p.name} ${p.version} is not served (${why}); asking apt for another version`);
  }));
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function debPin(r: BinaryRecord): DebPin {
  return { name: r.name, version: r.version, arch: r.arch, source: r.source, archive: archiveName(r.origin), path: r.filename, sha256: r.sha256, size: r.size };
}

export function dedupePassedOver(list: readonly PassedOver[]): PassedOver[] {
  const seen = new Map<string, PassedOver>();
  for (const p of list) seen.set(`${p.kind} ${p.name} ${p.version}`, p);
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareDebVersions(b.version, a.version)));
}

/**
 * The .deb packages `dpkg-buildpackage -B` makes on the lock's arch with its build profiles, from
 * the source's Package-List: type deb (not udeb), an arch list that matches, and a profile
 * restriction the active profiles meet (Package-List writes `<!a !b> <c>` as `!a,!b+c`: `,`
 * between the terms of one list, all of which must hold, `+` between alternative lists).
 */
export function archOnlyDebs(rec: SourceRecord, config: Pick<LockConfig, 'arch' | 'buildProfiles'>): string[] {
  const active = new Set(config.buildProfiles);
  const debs: string[] = [];
  for (const line of rec.packageList) {
    const [name, type, , , ...kv] = line.split(/\s+/);
    if (type !== 'deb') continue;
    const opts = Object.fromEntries(kv.map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
    if (!(opts.arch ?? 'any').split(',').some((a: string) => archMatches(a, config.arch))) continue;
    if (opts.profile) {
      const ok = opts.profile.split('+').some((list: string) => list.split(',').every((t: string) => (t.startsWith('!') ? !active.has(t.slice(1)) : active.has(t))));
      if (!ok) continue;
    }
    debs.push(name);
  }
  return debs.sort();
}
