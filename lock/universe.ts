/**
 * Resolving the universe: the image's binary packages from Debian's indices, the sources that
 * make them, and every source whose binaries a build links against, closed over; pinned to what
 * the archive serves (HEAD-checked, as lock/resolve.ts does for the default set).
 *
 * Selection (`select` of the config): every binary of the chosen priorities, every Essential
 * one and the task metapackages, closed over Pre-Depends, Depends and (as apt and tasksel do by
 * default) Recommends. An alternative already selected satisfies a clause; otherwise the first
 * alternative that exists, a virtual name meaning its first provider by name.
 *
 * The cross split: building for XSC is cross building (build machine amd64 Debian, host XSC).
 * A build dependency is met on the build machine, by Debian's package in the build root, when
 * Debian's cross-build metadata says so: the package is Multi-Arch: foreign or Architecture:
 * all, or it is named `pkg:native`, or `pkg:any` and Multi-Arch: allowed; or when the config's
 * `buildMachine` lists it (a compiler or interpreter Debian leaves on the host side). Every
 * other build dependency is an XSC binary: its source joins the universe, and so do the XSC
 * binaries its Depends reach (a library's own libraries are linked too). Binaries of the
 * toolchain's sources (glibc, gcc) come from the XSC toolchain; their Depends are not followed.
 * Build-Depends-Indep is met on the build machine: arch:all packages carry no XSC code. Only the
 * first alternative of a clause that exists counts, as Debian's buildds resolve them.
 *
 * Build-machine tools are resolved by apt together with mmdebstrap's buildd set (a tool that
 * conflicts with others is left out and named in the warnings). The build root is the buildd
 * set; each source's `buildDepends` is the closure of its tools within that resolution beyond
 * the root, pinned in `binaries`.
 */
import type { AptArchive, BinaryRecord, SourceRecord } from './aptArchive.js';
import { AptError } from './aptArchive.js';
import { parseRelations, type DebClause } from './debRelations.js';
import { dependsClosure } from './dependsClosure.js';
import { LOCK_COMMENT, type DebianLock, type PassedOver, type SourcePin, type UniverseSource } from './lockFile.js';
import {
  archiveName, archOnlyDebs, buildddRequest, debPin, dedupePassedOver, excludedCount, newestServedSource, olderSourceWarnings, servedPicks,
} from './resolve.js';
import type { ServedCheck } from './served.js';
import type { UniverseConfig } from './universeConfig.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface UniverseContext {
  readonly archive: AptArchive;
  readonly served: ServedCheck;
  readonly config: UniverseConfig;
  readonly log: (message: string) => void;
}

/** The universe's figures, for `lock update` to print and for the notes. */
export interface UniverseCounts {
  readonly imageBinaries: number;
  readonly sources: number;
  readonly archDependentSources: number;
  readonly xscBinaries: number;
  readonly buildRootPackages: number;
  /** Build-machine tools beyond the build root that some build installs (pinned in `binaries`). */
  readonly toolDebs: number;
  readonly phasesMs: Readonly<Record<string, number>>;
}

const MAX_ROUNDS = 25;

export async function resolveUniverse(ctx: UniverseContext): Promise<{ lock: DebianLock; counts: UniverseCounts }> {
  const { archive, config, log } = ctx;
  const phases: Record<string, number> = {};
  let t = Date.now();
  const lap = (name: string) => {
    phases[name] = Date.now() - t;
    t = Date.now();
  };
  const idx = await archive.index();
  lap('read indices');
  const bins = new Binaries(idx.packages, config.arch);
  const active = new Set(config.buildProfiles);
  const warnings: string[] = [];
  const bad = new Set<string>();

  // 1. The image: priorities, essential, tasks; closed over Pre-Depends, Depends, Recommends.
  const roots = new Set<string>(config.select.tasks);
  for (const name of config.select.tasks) if (!bins.get(name)) throw new AptError(`select.tasks: no binary package "${name}" in the archive (${config.configPath})`, 'user');
  for (const r of bins.newest()) if (config.select.priorities.includes(r.priority) || (config.select.essential && r.essential)) roots.add(r.name);
  const image = new Set<string>(roots);
  const queue = [...roots].sort();
  for (let i = 0; i < queue.length; i++) {
    const r = bins.get(queue[i])!;
    const fields = [r.preDepends, r.depends, ...(config.select.recommends ? [r.recommends] : [])].filter(Boolean).join(', ');
    for (const clause of parseRelations(fields, config.arch, new Set(), (x) => bad.add(x))) {
      const chosen = clause.alternatives.map((a) => bins.resolve(a.name)).find((n) => n !== undefined && image.has(n))
        ?? clause.alternatives.map((a) => bins.resolve(a.name)).find((n) => n !== undefined);
      if (chosen && !image.has(chosen)) {
        image.add(chosen);
        queue.push(chosen);
      }
    }
  }
  lap('select the image');
  log(`image: ${image.size} binary packages (priorities ${config.select.priorities.join(', ')}${config.select.essential ? ', essential' : ''}, ${config.select.tasks.length} tasks${config.select.recommends ? ', with Recommends' : ''})`);

  // 2. The sources: the image's, then every source of an XSC binary a build installs.
  const toolchain = new Set(config.toolchainSources);
  const buildMachine = new Set(Object.keys(config.buildMachine));
  const hostSide = (name: string, qualifier: string | undefined): boolean => {
    const r = bins.get(name)!;
    if (buildMachine.has(name) || qualifier === 'native' || r.multiArch === 'foreign' || r.arch === 'all') return false;
    return !(qualifier === 'any' && r.multiArch === 'allowed');
  };
  const xsc = new Map<string, { source: string; deps: string[] }>();
  const why = new Map<string, string>();
  const imageArchAll = new Set<string>();
  for (const b of [...image].sort()) {
    const r = bins.get(b)!;
    if (!why.has(r.source)) why.set(r.source, `image: ${b}${roots.has(b) ? (config.select.tasks.includes(b) ? ' (task)' : ` (Priority ${r.priority}${r.essential ? ', Essential' : ''})`) : ''}`);
    if (r.arch === 'all') imageArchAll.add(r.source);
  }
  const chosen = new Map<string, SourceRecord>();
  const usource = new Map<string, { xscBuildDeps: string[][]; tools: Set<string>; indep: string[]; restricted?: Record<string, string> }>();
  const passedOver: PassedOver[] = [];
  const notServed = new Map<string, string>();
  /** Adds an XSC binary and the XSC binaries its Depends reach; returns the sources met. */
  const addXsc = (start: string, forSource: string): void => {
    const stack = [start];
    while (stack.length) {
      const b = stack.pop()!;
      if (xsc.has(b)) continue;
      const r = bins.get(b)!;
      if (!why.has(r.source)) why.set(r.source, `xsc: ${b} for ${forSource}`);
      if (toolchain.has(r.source)) {
        xsc.set(b, { source: r.source, deps: [] });
        continue;
      }
      const deps: string[] = [];
      for (const clause of parseRelations([r.preDepends, r.depends].filter(Boolean).join(', '), config.arch, new Set(), (x) => bad.add(x))) {
        const pick = firstExisting(bins, clause);
        // An arch-dependent binary of the same source is built with it, at its version
        // (`pkgconf` needs `pkgconf-bin (= ${binary:Version})`: Multi-Arch: foreign, but only the
        // XSC build's version meets the clause), so it is installed from the XSC build too.
        const sib = pick && bins.get(pick.name);
        const sibling = sib && sib.source === r.source && sib.arch !== 'all';
        if (pick && (hostSide(pick.name, pick.qualifier) || sibling) && !deps.includes(pick.name)) deps.push(pick.name);
      }
      xsc.set(b, { source: r.source, deps: deps.sort() });
      stack.push(...deps);
    }
  };
  let frontier = [...why.keys()].sort();
  const seen = new Set<string>(frontier);
  while (frontier.length) {
    // Each round's sources are HEAD-checked together (the archive answers many at once).
    const records = await Promise.all(frontier.map(async (name) => {
      const recs = idxSources(idx.sources, name);
      const rec = await newestServedSource(ctx, recs, passedOver);
      if (!rec) {
        if (!recs.length) throw new AptError(`source package "${name}" (${why.get(name)}): no Sources index lists it`);
        // Its graph still counts (the universe needs it); its pin says it cannot be fetched here.
        const whyNot = passedOver.filter((p) => p.kind === 'source' && p.name === name && p.version === recs[0].version).map((p) => p.why);
        notServed.set(name, whyNot[0] ?? 'not served');
        return recs[0];
      }
      return rec;
    }));
    const next: string[] = [];
    for (const rec of records) {
      chosen.set(rec.name, rec);
      if (toolchain.has(rec.name)) continue;
      const entry = { xscBuildDeps: [] as string[][], tools: new Set<string>(), indep: [] as string[], restricted: restrictedDebs(rec) };
      usource.set(rec.name, entry);
      const archDebs = archOnlyDebs(rec, config);
      if (imageArchAll.has(rec.name) || archDebs.length === 0) entry.indep = archAllDebs(rec, config.buildProfiles);
      const nativeFields = [archDebs.length ? '' : rec.buildDepends, entry.indep.length ? rec.buildDependsIndep : ''];
      for (const clause of parseRelations(nativeFields.filter(Boolean).join(', '), config.arch, active, (x) => bad.add(x))) {
        const pick = firstExisting(bins, clause);
        if (pick) entry.tools.add(pick.name);
        else warnings.push(`${rec.name}: no package meets the build dependency "${clause.alternatives.map((a) => a.name).join(' | ')}"`);
      }
      if (archDebs.length === 0) continue;
      for (const clause of parseRelations([rec.buildDepends, rec.buildDependsArch].filter(Boolean).join(', '), config.arch, active, (x) => bad.add(x))) {
        const pick = firstExisting(bins, clause);
        if (!pick) {
          warnings.push(`${rec.name}: no package meets the build dependency "${clause.alternatives.map((a) => a.name).join(' | ')}"`);
          continue;
        }
        if (!hostSide(pick.name, pick.qualifier)) {
          entry.tools.add(pick.name);
          continue;
        }
        entry.xscBuildDeps.push([pick.name, ...clause.droppedBy]);
        addXsc(pick.name, rec.name);
      }
    }
    for (const s of why.keys()) if (!seen.has(s)) { seen.add(s); next.push(s); }
    frontier = next.sort();
  }
  lap('close over XSC build dependencies');
  // An XSC binary must be one its pinned source makes (a binary renamed since would be missed).
  for (const [b, x] of xsc) {
    const rec = chosen.get(x.source);
    if (rec && !toolchain.has(x.source) && !archOnlyDebs(rec, config).includes(b)) {
      warnings.push(`${x.source} ${rec.version} does not make ${b}, which Debian's ${bins.get(b)!.version} comes from: builds needing it will lack it`);
    }
  }
  if (bad.size) warnings.push(`relationships not understood (left out): ${[...bad].sort().slice(0, 20).join('; ')}${bad.size > 20 ? ` and ${bad.size - 20} more` : ''}`);
  const archDependent = [...usource].filter(([name]) => archOnlyDebs(chosen.get(name)!, config).length > 0).length;
  if (notServed.size) {
    log(`${notServed.size} sources are not served by this archive (no version has every file): ${[...notServed.keys()].slice(0, 30).join(', ')}${notServed.size > 30 ? ', ...' : ''}`);
  }
  log(`universe: ${chosen.size} sources (${archDependent} with XSC-built binaries, ${toolchain.size} from the toolchain), ${xsc.size} XSC binaries installed by builds`);

  // 3. The build root: mmdebstrap's buildd set and every build-machine tool, resolved by apt together.
  const tools = new Set<string>();
  for (const e of usource.values()) for (const tname of e.tools) tools.add(tname);
  const request = [...new Set([...buildddRequest(idx.packages, config), ...tools])].sort();
  const excluded = new Map<string, Set<string>>();
  const conflicting = new Map<string, string>();
  const prefsPath = join(archive.stateDir, 'universe.pref');
  let root: BinaryRecord[] = [];
  for (let round = 0; ; round++) {
    if (round === MAX_ROUNDS) throw new AptError(`apt keeps failing on the universe's build root after ${MAX_ROUNDS} rounds`);
    writeFileSync(prefsPath, [...excluded].flatMap(([n, vs]) => [...vs].map((v) => `Package: ${n}\nPin: version ${v}\nPin-Priority: -1\n`)).join('\n'));
    const before = excludedCount(excluded);
    let picks;
    try {
      picks = await archive.simulate(['install', ...request.filter((n) => !conflicting.has(n))], { prefs: prefsPath });
    } catch (e) {
      const out = (e as AptError & { output?: string }).output ?? (e as Error).message;
      // "X : Conflicts: Y", "X : Depends: Y but it is not installable": leave the requested one out.
      const line = /^ (\S+) : (?:Conflicts|Breaks|Depends|PreDepends): (.*)$/m.exec(out);
      const named = line ? [line[1], ...line[2].split(/[\s|]+/)].filter((n) => request.includes(n) && !conflicting.has(n)) : [];
      const loser = named[0];
      if (!line || !loser) {
        writeFileSync(join(archive.stateDir, 'universe-root.apt.txt'), out);
        throw new AptError(`${(e as Error).message}\n  (apt's whole answer: ${join(archive.stateDir, 'universe-root.apt.txt')})`);
      }
      conflicting.set(loser, `${line[1]}: ${line[2].trim()}`);
      log(`build root: leaving ${loser} out (apt: ${conflicting.get(loser)})`);
      continue;
    }
    root = await servedPicks(ctx, picks, excluded, passedOver);
    if (excludedCount(excluded) === before) break;
  }
  for (const [loser, other] of conflicting) {
    const needers = [...usource].filter(([, e]) => e.tools.has(loser)).map(([n]) => n);
    warnings.push(`build root: ${loser} is left out of it (apt: ${other}); ${needers.join(', ') || 'the buildd set'} need${needers.length === 1 ? 's' : ''} it (a build root of its own)`);
  }
  lap('resolve the build machine');
  // The build root every build starts from is the buildd set alone (as the default set's): one
  // root for every tool would be ~23 GB unpacked. Each build installs its own tools on top, from
  // pinned .debs: the closure of what it names over Pre-Depends and Depends within the one apt
  // resolution above (so the tools of any two builds agree on versions), less the buildd set.
  const buildd = await servedPicks(ctx, await archive.simulate(['install', ...buildddRequest(idx.packages, config)], { prefs: prefsPath }), excluded, passedOver);
  const machine = new Map(root.map((r) => [r.name, r]));
  for (const r of buildd) {
    if (machine.get(r.name)?.version !== r.version) {
      throw new AptError(`apt picks ${r.name} ${r.version} for the buildd set but ${machine.get(r.name)?.version ?? 'nothing'} with the build-machine tools: the tools cannot be installed on the build root (this is an xbuild bug)`);
    }
  }
  const inRoot = new Set(buildd.map((r) => r.name));
  const toolClosure = machineClosure(machine, config.arch, (x) => bad.add(x));
  const toolPins = new Map<string, BinaryRecord>();
  const buildDepends = new Map<string, string[]>();
  for (const [name, e] of usource) {
    const names = new Set<string>();
    for (const t of e.tools) for (const n of toolClosure(t)) if (!inRoot.has(n)) names.add(n);
    buildDepends.set(name, [...names].sort());
    for (const n of names) toolPins.set(n, machine.get(n)!);
  }
  lap('close over the tools of each build');
  log(`build machine: ${root.length} packages (buildd set ${buildd.length}, the rest tools the builds install: ${toolPins.size} .debs, `
    + `${[...buildDepends.values()].reduce((n, l) => n + l.length, 0)} installs in all)`);

  warnings.push(...olderSourceWarnings(new Map([...chosen].filter(([n]) => usource.has(n))), idx.packages, passedOver, config));
  const sources: Record<string, SourcePin> = {};
  const uSources: Record<string, UniverseSource> = {};
  for (const name of [...usource.keys()].sort()) {
    const rec = chosen.get(name)!;
    const e = usource.get(name)!;
    sources[name] = {
      version: rec.version,
      files: rec.files.map((f) => ({ name: f.name, archive: archiveName(rec.origin), path: `${rec.directory}/${f.name}`, sha256: f.sha256, size: f.size })),
      buildDepends: buildDepends.get(name)!,
      debs: archOnlyDebs(rec, config),
    };
    uSources[name] = {
      why: why.get(name)!, xscBuildDeps: e.xscBuildDeps, indep: e.indep,
      ...(e.restricted ? { restricted: e.restricted } : {}),
    };
  }
  const lock: DebianLock = {
    comment: LOCK_COMMENT,
    format: 2,
    suite: config.suite,
    arch: config.arch,
    buildProfiles: [...config.buildProfiles],
    set: [],
    toolchainSources: [...config.toolchainSources],
    sources,
    buildRoot: { variant: 'buildd', packages: buildd.map(debPin).sort((a, b) => (a.name < b.name ? -1 : 1)) },
    binaries: Object.fromEntries([...toolPins.values()].map(debPin).sort((a, b) => (a.name < b.name ? -1 : 1)).map((p) => [p.name, p])),
    inputs: {},
    passedOver: dedupePassedOver(passedOver),
    warnings,
    universe: {
      selection: { ...config.select, binaries: [...image].sort() },
      toolchainSources: [...config.toolchainSources],
      buildMachine: config.buildMachine,
      sources: uSources,
      xsc: Object.fromEntries([...xsc].sort(([a], [b]) => (a < b ? -1 : 1))),
    },
  };
  return {
    lock,
    counts: { imageBinaries: image.size, sources: usource.size, archDependentSources: archDependent, xscBinaries: xsc.size, buildRootPackages: buildd.length, toolDebs: toolPins.size, phasesMs: phases },
  };
}

/**
 * The closure of a build-machine package over Pre-Depends and Depends within one consistent set
 * of packages (apt's resolution): each clause met by its first alternative in the set, a virtual
 * name by a member that provides it. Memoised (lock/dependsClosure.ts).
 */
export function machineClosure(set: ReadonlyMap<string, BinaryRecord>, arch: string, bad: (text: string) => void): (name: string) => readonly string[] {
  const members = new Binaries(new Map([...set].map(([n, r]) => [n, [r]])), arch);
  const meet = (n: string) => members.resolve(n);
  const direct: Record<string, { deps: string[] }> = {};
  for (const [name, r] of set) {
    direct[name] = {
      deps: parseRelations([r.preDepends, r.depends].filter(Boolean).join(', '), arch, new Set(), bad)
        .map((c) => c.alternatives.map((a) => meet(a.name)).find((n) => n !== undefined))
        .filter((n): n is string => n !== undefined),
    };
  }
  const closure = dependsClosure(direct);
  return (name) => {
    const start = meet(name);
    return start === undefined ? [] : closure(start);
  };
}

function idxSources(sources: ReadonlyMap<string, readonly SourceRecord[]>, name: string): readonly SourceRecord[] {
  return sources.get(name) ?? [];
}

/** The first alternative of a clause that names an existing package (a virtual one: its first provider). */
function firstExisting(bins: Binaries, clause: DebClause): { name: string; qualifier?: string } | undefined {
  for (const a of clause.alternatives) {
    const name = bins.resolve(a.name);
    if (name) return { name, qualifier: a.qualifier };
  }
  return undefined;
}

/** The newest record of each binary package for the lock's architecture, and who provides virtual names. */
class Binaries {
  private readonly byName = new Map<string, BinaryRecord>();
  private readonly providers = new Map<string, string[]>();

  constructor(readonly index: ReadonlyMap<string, readonly BinaryRecord[]>, arch: string) {
    for (const [name, recs] of index) {
      const r = recs.find((x) => x.arch === arch || x.arch === 'all');
      if (r) this.byName.set(name, r);
    }
    for (const r of this.byName.values()) {
      for (const p of r.provides.split(',')) {
        const v = p.trim().split(/[\s(]/)[0];
        if (v) (this.providers.get(v) ?? this.providers.set(v, []).get(v)!).push(r.name);
      }
    }
    for (const list of this.providers.values()) list.sort();
  }

  get(name: string): BinaryRecord | undefined {
    return this.byName.get(name);
  }

  /** A real package's name, or a virtual name's first provider. */
  resolve(name: string): string | undefined {
    return this.byName.has(name) ? name : this.providers.get(name)?.[0];
  }

  newest(): Iterable<BinaryRecord> {
    return this.byName.values();
  }
}

function packageListEntries(rec: SourceRecord): { name: string; type: string; opts: Record<string, string> }[] {
  return rec.packageList.map((line) => {
    const [name, type, , , ...kv] = line.split(/\s+/);
    return { name, type, opts: Object.fromEntries(kv.map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)])) };
  });
}

/** arch:all .debs the source builds with these profiles. */
function archAllDebs(rec: SourceRecord, profiles: readonly string[]): string[] {
  const active = new Set(profiles);
  return packageListEntries(rec).filter((e) => e.type === 'deb' && (e.opts.arch ?? '') === 'all'
    && (!e.opts.profile || e.opts.profile.split('+').some((l) => l.split(',').every((t) => (t.startsWith('!') ? !active.has(t.slice(1)) : active.has(t))))))
    .map((e) => e.name).sort();
}

/** Binaries built only under some profiles (Package-List's `profile=`), for stage builds. */
function restrictedDebs(rec: SourceRecord): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const e of packageListEntries(rec)) if (e.type === 'deb' && e.opts.profile) out[e.name] = e.opts.profile;
  return Object.keys(out).length ? out : undefined;
}
