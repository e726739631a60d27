/**
 * The Debian lock (`packages/debian.lock.json`): every input the distribution takes from
 * Debian's archive, pinned by version, pool path and SHA-256. Written by `xbuild lock update`,
 * read by the BUILD files; the request it answers is `packages/lock.config.json`.
 *
 * Invariants:
 * - Every pin was served by the archive when the lock was written (`lock/served.ts`), and its
 *   SHA-256 is the archive index's: a fetch of it either yields exactly these bytes or fails.
 * - The file is sorted and has no timestamps: an unchanged archive gives a byte-identical lock.
 * - A pin names its archive (`debian`, `debian-security`) and pool path, never a hostname.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { compareDebVersions } from './debVersion.js';
import type { UniverseConfig } from './universeConfig.js';

/** One file of a pinned source package. */
export interface SourceFilePin {
  readonly name: string;
  readonly archive: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** A pinned source package: what the set or the toolchain builds from. */
export interface SourcePin {
  readonly version: string;
  readonly files: readonly SourceFilePin[];
  /** Binary packages (beyond the build root) it needs to build, by name; their pins are in `binaries`. */
  readonly buildDepends: readonly string[];
  /** The arch-dependent .debs `dpkg-buildpackage -B` makes with the lock's build profiles. */
  readonly debs: readonly string[];
}

/** A pinned binary package (.deb). */
export interface DebPin {
  readonly name: string;
  readonly version: string;
  readonly arch: string;
  readonly source: string;
  readonly archive: string;
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
}

/** A version the lock did not take although the archive's index lists it, and why. */
export interface PassedOver {
  readonly kind: 'source' | 'deb';
  readonly name: string;
  readonly version: string;
  readonly suite: string;
  readonly why: string;
}

export interface DebianLock {
  readonly comment: string;
  readonly format: 2;
  readonly suite: string;
  readonly arch: string;
  readonly buildProfiles: readonly string[];
  readonly set: readonly string[];
  readonly toolchainSources: readonly string[];
  readonly sources: Readonly<Record<string, SourcePin>>;
  readonly buildRoot: { readonly variant: string; readonly packages: readonly DebPin[] };
  /** Build dependencies beyond the build root, by package name. */
  readonly binaries: Readonly<Record<string, DebPin>>;
  /** .debs that rules take whole as inputs (e.g. the kernel's linux-source), by package name. */
  readonly inputs: Readonly<Record<string, DebPin>>;
  /** Debian architectures read beside `arch` (for `name:arch` inputs). */
  readonly foreignArches?: readonly string[];
  /** Per XSC cross target (e.g. `aarch64`): the host packages its builds install beyond the root (pins in `binaries`). */
  readonly crossTools?: Readonly<Record<string, readonly string[]>>;
  /** Newer versions listed in the indices but not taken, with the reason. */
  readonly passedOver: readonly PassedOver[];
  /** What a reader of the lock must know (e.g. a security fix not available as source). */
  readonly warnings: readonly string[];
  /** Only in a universe lock (`packages/universe/universe.lock.json`): the dependency data. */
  readonly universe?: UniverseSection;
}

/**
 * The universe's dependency data, written by lock/universe.ts and read by rules/universeGraph.ts
 * (through the BUILD file): what was selected, and for every source which XSC-built binaries its
 * build installs. Build-machine tools are in `buildRoot` (they are not part of this graph).
 */
export interface UniverseSection {
  /** The configuration's selection, and the binary packages of the image it selected, sorted. */
  readonly selection: UniverseConfig['select'] & { readonly binaries: readonly string[] };
  /** As configured: sources whose binaries the XSC toolchain makes (not built by the universe). */
  readonly toolchainSources: UniverseConfig['toolchainSources'];
  /** As configured: binary packages taken as build-machine tools against Debian's metadata, with why. */
  readonly buildMachine: UniverseConfig['buildMachine'];
  /** Every source of `sources`, with why it is in the universe and what its build installs. */
  readonly sources: Readonly<Record<string, UniverseSource>>;
  /**
   * Every XSC binary a build installs: its source and its Depends that are XSC binaries too
   * (a toolchain source's binaries list none: the toolchain's sysroot is complete).
   */
  readonly xsc: Readonly<Record<string, { readonly source: string; readonly deps: readonly string[] }>>;
}

/** One source of the universe. */
export interface UniverseSource {
  /** `image: <binary> (<how it was selected>)` or `xsc: <binary> for <source>` (the first reason found). */
  readonly why: string;
  /**
   * The clauses of Build-Depends and Build-Depends-Arch met by an XSC binary, each as
   * `[binary, ...profiles that drop the clause]` (e.g. `["libgnutls28-dev", "stage1"]`).
   */
  readonly xscBuildDeps: readonly (readonly string[])[];
  /** arch:all binaries it builds (when the image holds one of them): the build is `-b`, or `-A` alone. */
  readonly indep: readonly string[];
  /** Binaries the Package-List builds only under some profiles: name -> restriction formula (`!stage1`). */
  readonly restricted?: Readonly<Record<string, string>>;
}

export const LOCK_COMMENT = 'Written by `xbuild lock update` from the Debian archive this machine\'s apt is configured for; do not edit (see packages/README.md).';

export function readLock(path: string): DebianLock {
  return JSON.parse(readFileSync(path, 'utf8')) as DebianLock;
}

/** Writes the lock atomically (BUILD files import the JSON itself); a universe lock one entry a line. */
export function writeLock(path: string, lock: DebianLock): void {
  const json = lock.universe ? compactJson(lock) : JSON.stringify(lock, null, 2) + '\n';
  writeFileSync(`${path}.tmp`, json);
  renameSync(`${path}.tmp`, path);
}

/**
 * JSON with one entry per line below the second level (a source, a pin, a binary), so a lock of
 * thousands of packages stays readable and diffs line by line.
 */
export function compactJson(value: unknown): string {
  // Below the second level, a list of plain values or an object with any plain value is one line.
  const isObj = (x: unknown): boolean => x !== null && typeof x === 'object';
  const walk = (v: unknown, depth: number, indent: string): string => {
    if (!isObj(v)) return JSON.stringify(v);
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0 || (depth >= 2 && !v.some(isObj))) return JSON.stringify(v);
      return `[\n${v.map((x) => inner + walk(x, depth + 1, inner)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0 || (depth >= 2 && !entries.every(([, x]) => isObj(x) && !Array.isArray(x)))) return JSON.stringify(v);
    return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${walk(x, depth + 1, inner)}`).join(',\n')}\n${indent}}`;
  };
  return `${walk(value, 0, '')}\n`;
}

/** A pin as one line: `source zlib 1:1.2.13.dfsg-1`, `deb linux-libc-dev 6.1.192-3`. */
export interface PinRef {
  readonly kind: 'source' | 'deb';
  readonly name: string;
  readonly version: string;
  /** Where in the lock: `sources`, `buildRoot`, `binaries`, `inputs`. */
  readonly section: string;
  /** A .deb's architecture (`amd64`, `all`, or a foreign one such as `arm64`). */
  readonly arch?: string;
}

/** Every pin of a lock with the URLs' pool paths it stands for. */
export function lockPins(lock: DebianLock): { ref: PinRef; files: { archive: string; path: string; size: number; sha256: string }[] }[] {
  const out: { ref: PinRef; files: { archive: string; path: string; size: number; sha256: string }[] }[] = [];
  for (const [name, s] of Object.entries(lock.sources)) out.push({ ref: { kind: 'source', name, version: s.version, section: 'sources' }, files: [...s.files] });
  const deb = (p: DebPin, section: string) => out.push({ ref: { kind: 'deb', name: p.name, version: p.version, section, arch: p.arch }, files: [p] });
  for (const p of lock.buildRoot.packages) deb(p, 'buildRoot');
  for (const p of Object.values(lock.binaries)) deb(p, 'binaries');
  for (const p of Object.values(lock.inputs ?? {})) deb(p, 'inputs');
  return out;
}

/** How the pins moved from one lock to the next: `name old -> new` lines (added and removed too). */
export function movedPins(before: DebianLock | undefined, after: DebianLock): string[] {
  const versions = (l: DebianLock | undefined) => {
    const m = new Map<string, string>();
    if (!l) return m;
    for (const { ref } of lockPins(l)) m.set(`${ref.kind} ${ref.name}`, ref.version);
    return m;
  };
  const a = versions(before);
  const b = versions(after);
  const lines: string[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === y) continue;
    if (x === undefined) lines.push(`${k}: added at ${y}`);
    else if (y === undefined) lines.push(`${k}: removed (was ${x})`);
    else lines.push(`${k}: ${x} -> ${y}${compareDebVersions(y, x) < 0 ? ' (older: the newer one is not served)' : ''}`);
  }
  return lines;
}
