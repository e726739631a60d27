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
  /** Newer versions listed in the indices but not taken, with the reason. */
  readonly passedOver: readonly PassedOver[];
  /** What a reader of the lock must know (e.g. a security fix not available as source). */
  readonly warnings: readonly string[];
}

export const LOCK_COMMENT = 'Written by `xbuild lock update` from the Debian archive this machine\'s apt is configured for; do not edit (see packages/README.md).';

export function readLock(path: string): DebianLock {
  return JSON.parse(readFileSync(path, 'utf8')) as DebianLock;
}

/** Writes the lock atomically (BUILD files import the JSON itself). */
export function writeLock(path: string, lock: DebianLock): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(lock, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** A pin as one line: `source zlib 1:1.2.13.dfsg-1`, `deb linux-libc-dev 6.1.192-3`. */
export interface PinRef {
  readonly kind: 'source' | 'deb';
  readonly name: string;
  readonly version: string;
  /** Where in the lock: `sources`, `buildRoot`, `binaries`, `inputs`. */
  readonly section: string;
}

/** Every pin of a lock with the URLs' pool paths it stands for. */
export function lockPins(lock: DebianLock): { ref: PinRef; files: { archive: string; path: string; size: number; sha256: string }[] }[] {
  const out: { ref: PinRef; files: { archive: string; path: string; size: number; sha256: string }[] }[] = [];
  for (const [name, s] of Object.entries(lock.sources)) out.push({ ref: { kind: 'source', name, version: s.version, section: 'sources' }, files: [...s.files] });
  const deb = (p: DebPin, section: string) => out.push({ ref: { kind: 'deb', name: p.name, version: p.version, section }, files: [p] });
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
