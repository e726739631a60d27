/**
 * Debian's archive as this machine's apt configuration sees it, through a private apt state.
 *
 * Invariants:
 * - The host's apt is never touched: lists, caches, status and preferences live in `stateDir`
 *   (apt's `-o Dir::State::Lists=...`, `Dir::Etc::SourceList=/dev/null`, ...). The sources are
 *   the machine's Debian entries (or `$XBUILD_APT_SOURCES`), each made `Types: deb deb-src`;
 *   no mirror hostname is ever written into the workspace: a pin names its archive by the last
 *   path component of its base URI (`debian`, `debian-security`), which `apt-mirror://` URLs
 *   resolve again on whatever machine fetches them.
 * - Index files are read as apt stored them (decompressed by `apt-helper cat-file`), so what
 *   the lock sees is exactly what apt's resolver sees.
 */
import { BlamedError } from '../engine/report/blame.js';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where a record was found: the repository's base URI as apt's sources give it (its `URIs:` field) and suite. */
export interface IndexOrigin {
  readonly repoUri: string;
  /** The suite (apt's "Release" field: `bookworm`, `bookworm-security`). */
  readonly release: string;
}

/** One file of a source package, as the Sources index lists it. */
export interface SourceFileRecord {
  readonly name: string;
  readonly sha256: string;
  readonly size: number;
}

/** One version of a source package in one index. */
export interface SourceRecord {
  readonly name: string;
  readonly version: string;
  readonly directory: string;
  readonly files: readonly SourceFileRecord[];
  /** The binary packages it builds (the `Binary:` field). */
  readonly binaries: readonly string[];
  /** The `Package-List:` field, one line a binary (name type section priority key=value...). */
  readonly packageList: readonly string[];
  /** The `Architecture:` field (`any`, `all`, `any all`, `amd64 arm64`...). */
  readonly architecture: string;
  /** Relationship fields as written (parsed by lock/debRelations.ts where needed). */
  readonly buildDepends: string;
  readonly buildDependsArch: string;
  readonly buildDependsIndep: string;
  readonly origin: IndexOrigin;
}

/** One version of a binary package in one Packages index. */
export interface BinaryRecord {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  readonly source: string;
  readonly sourceVersion: string;
  readonly essential: boolean;
  readonly priority: string;
  /** `same`, `foreign`, `allowed` or `no`: how Debian's cross builds resolve a dependency on it. */
  readonly multiArch: string;
  /** Relationship fields as written (parsed by lock/debRelations.ts where needed). */
  readonly depends: string;
  readonly preDepends: string;
  readonly recommends: string;
  readonly provides: string;
  readonly origin: IndexOrigin;
  /** The whole paragraph, for a dpkg status file made from it. */
  readonly paragraph: string;
}

/** The sources apt should use: the machine's Debian entries, or the file `$XBUILD_APT_SOURCES` names. */
export function machineDebianSources(): { readonly file: string; readonly text: string } {
  const override = process.env.XBUILD_APT_SOURCES;
  const candidates = override ? [override] : ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = file.endsWith('.list') ? listToDeb822(text) : text;
    if (/^URIs:/m.test(deb822)) return { file, text: deb822 };
  }
  throw new AptError(`no Debian apt sources found (${candidates.join(', ')}): this machine's apt configuration is where the archive's address comes from`);
}

/** One-line `deb URI suite components` entries of the Debian archive as deb822 paragraphs. */
function listToDeb822(text: string): string {
  const paras: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.+)$/.exec(line.trim());
    if (!m || !/\/debian(-security)?\/?$/.test(m[2])) continue;
    const opts = m[1] && /trusted=yes/.test(m[1]) ? 'Trusted: yes\n' : '';
    paras.push(`Types: deb\nURIs: ${m[2]}\nSuites: ${m[3]}\nComponents: ${m[4].trim()}\n${opts}`);
  }
  return paras.join('\n');
}

/** A failure of the archive or of apt: the environment's, or the user's when the configuration asks for what the archive does not have. */
export class AptError extends BlamedError {
  /** apt's whole output (stdout and stderr), when apt itself failed. */
  output?: string;
  constructor(message: string, blame: 'environment' | 'user' = 'environment') {
    super(blame, message);
  }
}

export class AptArchive {
  private readonly lists: string;
  private indexCache?: { sources: Map<string, SourceRecord[]>; packages: Map<string, BinaryRecord[]> };

  constructor(
    readonly stateDir: string,
    /** deb822 sources; every paragraph gets `Types: deb deb-src`. */
    sourcesText: string,
    readonly arch: string,
    /** Further architectures whose Packages indices apt reads (a `name:arch` pin names one). */
    readonly foreignArches: readonly string[] = [],
  ) {
    this.lists = join(stateDir, 'lists');
    for (const d of ['lists/partial', 'parts', 'cache/archives/partial', 'prefs']) mkdirSync(join(stateDir, d), { recursive: true });
    const text = sourcesText.split('\n').filter((l) => !l.startsWith('#'))
      .map((l) => (/^Types:/i.test(l) ? 'Types: deb deb-src' : l)).join('\n');
    writeFileSync(join(stateDir, 'parts', 'xbuild.sources'), text);
  }

  /** apt's options for this private state (`prefs`: an apt preferences file to use). */
  options(extra: { status?: string; prefs?: string; profiles?: readonly string[] } = {}): string[] {
    const o = (k: string, v: string) => ['-o', `${k}=${v}`];
    return [
      ...o('Dir::State::Lists', this.lists), ...o('Dir::Etc::SourceList', '/dev/null'),
      ...o('Dir::Etc::SourceParts', join(this.stateDir, 'parts')), ...o('Dir::Cache', join(this.stateDir, 'cache')),
      ...o('Dir::Cache::pkgcache', join(this.stateDir, 'cache', 'pkgcache.bin')),
      ...o('Dir::Cache::srcpkgcache', join(this.stateDir, 'cache', 'srcpkgcache.bin')),
      ...o('Dir::State::status', extra.status ?? '/dev/null'),
      ...o('Dir::Etc::Preferences', extra.prefs ?? '/dev/null'), ...o('Dir::Etc::PreferencesParts', join(this.stateDir, 'prefs')),
      ...o('Debug::NoLocking', '1'), ...o('APT::Architecture', this.arch), ...o('APT::Architectures', [this.arch, ...this.foreignArches].join(',')),
      ...o('Acquire::Languages', 'none'), ...o('APT::Get::List-Cleanup', '1'),
      ...(extra.profiles?.length ? o('APT::Build-Profiles', extra.profiles.join(',')) : []),
    ];
  }

  /** `apt-get update` in the private state (downloads only changed indices). */
  async update(): Promise<void> {
    try {
      await run('apt-get', [...this.options(), '-qq', 'update'], { maxBuffer: 1 << 24 });
    } catch (e) {
      throw new AptError(`apt-get update failed (the archive this machine's apt configuration names): ${stderrOf(e)}`);
    }
    this.indexCache = undefined;
  }

  /** Every source and binary record of every index, by package name (newest version first). */
  async index(): Promise<{ sources: ReadonlyMap<string, readonly SourceRecord[]>; packages: ReadonlyMap<string, readonly BinaryRecord[]> }> {
    if (this.indexCache) return this.indexCache;
    const { stdout } = await run('apt-get', [...this.options(), 'indextargets'], { maxBuffer: 1 << 24 });
    const sources = new Map<string, SourceRecord[]>();
    const packages = new Map<string, BinaryRecord[]>();
    for (const t of paragraphs(stdout).map(fields)) {
      const origin: IndexOrigin = { repoUri: t['Repo-URI'], release: t.Release };
      if (!existsSync(t.Filename)) continue;
      if (t.Identifier === 'Sources') await eachParagraph(t.Filename, (p) => push(sources, parseSource(p, origin)));
      else if (t.Identifier === 'Packages') await eachParagraph(t.Filename, (p) => push(packages, parseBinary(p, origin)));
    }
    const { compareDebVersions } = await import('./debVersion.js');
    for (const list of [...sources.values(), ...packages.values()]) list.sort((a, b) => compareDebVersions(b.version, a.version));
    this.indexCache = { sources, packages };
    return this.indexCache;
  }

  /**
   * What `apt-get -s ARGS` would install: name and version of every `Inst` line.
   * Throws AptError with apt's own message when it cannot resolve.
   */
  async simulate(args: readonly string[], extra: { status?: string; prefs?: string; profiles?: readonly string[] } = {}): Promise<{ name: string; version: string; arch: string }[]> {
    let stdout: string;
    try {
      ({ stdout } = await run('apt-get', [...this.options(extra), '-s', '--no-install-recommends', ...args], { maxBuffer: 1 << 26 }));
    } catch (e) {
      const what = args.length > 12 ? `${args.slice(0, 12).join(' ')} ... (${args.length} arguments)` : args.join(' ');
      const err = new AptError(`apt cannot resolve \`apt-get ${what}\`: ${stderrOf(e)}`);
      const x = e as { stdout?: string; stderr?: string };
      err.output = `${x.stdout ?? ''}\n${x.stderr ?? ''}`;
      throw err;
    }
    // `Inst name[:arch] [old] (version suite [arch])`: a foreign pick carries its arch in both places.
    const out: { name: string; version: string; arch: string }[] = [];
    for (const line of stdout.split('\n')) {
      const m = /^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) .*\[([\w-]+)\]\)/.exec(line);
      if (m) out.push({ name: m[1].replace(/:[\w-]+$/, ''), version: m[2], arch: m[3] });
    }
    return out;
  }
}

function push<T extends { name: string }>(m: Map<string, T[]>, r: T | undefined): void {
  if (!r) return;
  const list = m.get(r.name);
  if (list) list.push(r);
  else m.set(r.name, [r]);
}

function stderrOf(e: unknown): string {
  const err = e as { stderr?: string; message?: string };
  return (err.stderr || err.message || String(e)).trim().split('\n').slice(-8).join('\n');
}

/** Calls `f` with each paragraph of an index file as apt stored it (decompressed by apt-helper, streamed). */
function eachParagraph(file: string, f: (paragraph: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/lib/apt/apt-helper', ['cat-file', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    let err = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const text = rest + chunk;
      let start = 0;
      for (let end = text.indexOf('\n\n', start); end >= 0; end = text.indexOf('\n\n', start)) {
        if (end > start) f(text.slice(start, end));
        start = end + 2;
      }
      rest = text.slice(start);
    });
    child.stderr.on('data', (c: Buffer) => { err += c; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new AptError(`apt-helper cat-file ${file}: ${err.trim()}`));
      if (rest.trim()) f(rest);
      resolve();
    });
  });
}

/** deb822 paragraphs (separated by blank lines). */
export function paragraphs(text: string): string[] {
  return text.split(/\n\s*\n/).filter((p) => p.trim() !== '');
}

/** A paragraph's fields; continuation lines are joined with `\n` (leading space dropped). */
export function fields(p: string): Record<string, string> {
  const out: Record<string, string> = {};
  let key = '';
  for (const line of p.split('\n')) {
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (key) out[key] += `\n${line.slice(1)}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    key = line.slice(0, colon);
    out[key] = line.slice(colon + 1).trim();
  }
  return out;
}

/** A folded field on one line. */
function oneLine(v: string | undefined): string {
  return v ? v.replace(/\n/g, ' ') : '';
}

function parseSource(p: string, origin: IndexOrigin): SourceRecord | undefined {
  const f = fields(p);
  if (!f.Package || !f.Version) return undefined;
  const files: SourceFileRecord[] = [];
  for (const line of (f['Checksums-Sha256'] ?? '').split('\n')) {
    const [sha256, size, name] = line.trim().split(/\s+/);
    if (name && /^[0-9a-f]{64}$/.test(sha256)) files.push({ name, sha256, size: Number(size) });
  }
  return {
    name: f.Package, version: f.Version, directory: f.Directory ?? '', files,
    binaries: (f.Binary ?? '').split(',').map((b) => b.trim()).filter(Boolean),
    packageList: (f['Package-List'] ?? '').split('\n').map((l) => l.trim()).filter(Boolean),
    architecture: f.Architecture ?? '', buildDepends: oneLine(f['Build-Depends']), buildDependsArch: oneLine(f['Build-Depends-Arch']),
    buildDependsIndep: oneLine(f['Build-Depends-Indep']),
    origin,
  };
}

function parseBinary(p: string, origin: IndexOrigin): BinaryRecord | undefined {
  const f = fields(p);
  if (!f.Package || !f.Version || !f.Filename) return undefined;
  const m = /^(\S+)(?:\s+\((\S+)\))?$/.exec(f.Source ?? f.Package);
  return {
    name: f.Package, version: f.Version, arch: f.Architecture ?? '', filename: f.Filename, sha256: f.SHA256 ?? '',
    size: Number(f.Size ?? 0), source: m?.[1] ?? f.Package, sourceVersion: m?.[2] ?? f.Version,
    essential: f.Essential === 'yes', priority: f.Priority ?? '', multiArch: f['Multi-Arch'] ?? 'no',
    depends: oneLine(f.Depends), preDepends: oneLine(f['Pre-Depends']), recommends: oneLine(f.Recommends), provides: oneLine(f.Provides),
    origin, paragraph: p,
  };
}
