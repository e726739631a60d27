/**
 * What the Debian lock must pin: `packages/lock.config.json` (and the set file it names).
 * It is the request; `packages/debian.lock.json` is the answer `xbuild lock update` writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface LockConfig {
  /** The Debian suite the build root's priorities and essential set come from (`bookworm`). */
  readonly suite: string;
  /** Debian architecture of the build machine and the pinned .debs (`amd64`). */
  readonly arch: string;
  /** Build profiles active for every package build (e.g. `nobiarch`). */
  readonly buildProfiles: readonly string[];
  /** mmdebstrap variant of the build root; only `buildd` is supported. */
  readonly buildRoot: 'buildd';
  /** Source packages of the set, one a line (from the file `set` names). */
  readonly set: readonly string[];
  /**
   * Sources the toolchain builds from. `needs`: the binary packages its build takes beyond the
   * build root, instead of the source's whole Build-Depends.
   */
  readonly toolchainSources: Readonly<Record<string, { readonly needs?: readonly string[] }>>;
  /**
   * Binary packages rules take whole (e.g. `linux-source-6.1` for the kernel); `name:arch` takes
   * a foreign architecture's .deb (e.g. `grub-efi-arm64-bin:arm64`, GRUB's arm64 EFI modules).
   */
  readonly inputDebs: readonly string[];
  /** Debian architectures read beside `arch` (their Packages indices): what `name:arch` input .debs may name. */
  readonly foreignArches: readonly string[];
  /**
   * Per XSC target arch built by cross compiling (e.g. `aarch64`): the host packages its builds
   * install in the build root beyond it (the cross gcc and binutils), resolved like build
   * dependencies; the lock lists them under `crossTools` with their pins in `binaries`.
   */
  readonly crossTools: Readonly<Record<string, readonly string[]>>;
  /** Where the files are (for messages and for writing the lock next to the config). */
  readonly configPath: string;
  readonly lockPath: string;
}

export const DEFAULT_CONFIG = 'packages/lock.config.json';

/** A problem with the user's lock configuration: names the file. */
export class LockConfigError extends Error {}

export function readLockConfig(workspace: string, configRel = DEFAULT_CONFIG): LockConfig {
  const configPath = join(workspace, configRel);
  if (!existsSync(configPath)) throw new LockConfigError(`${configRel} does not exist: it says what the Debian lock pins (see packages/README.md)`);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new LockConfigError(`${configRel}: not valid JSON: ${(e as Error).message}`);
  }
  const str = (k: string) => {
    if (typeof raw[k] !== 'string' || !raw[k]) throw new LockConfigError(`${configRel}: "${k}" must be a non-empty string`);
    return raw[k] as string;
  };
  const strList = (k: string) => {
    const v = raw[k] ?? [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new LockConfigError(`${configRel}: "${k}" must be a list of strings`);
    return v as string[];
  };
  if ((raw.buildRoot ?? 'buildd') !== 'buildd') throw new LockConfigError(`${configRel}: "buildRoot" must be "buildd"`);
  const setRel = str('set');
  const setPath = join(dirname(configPath), setRel);
  if (!existsSync(setPath)) throw new LockConfigError(`${configRel}: "set" names ${relative(workspace, setPath)}, which does not exist`);
  const set = readFileSync(setPath, 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  const tc = raw.toolchainSources ?? {};
  if (typeof tc !== 'object' || Array.isArray(tc)) throw new LockConfigError(`${configRel}: "toolchainSources" must be an object of source names`);
  for (const [name, v] of Object.entries(tc as Record<string, unknown>)) {
    const needs = (v as { needs?: unknown })?.needs;
    if (needs !== undefined && (!Array.isArray(needs) || needs.some((x) => typeof x !== 'string'))) {
      throw new LockConfigError(`${configRel}: toolchainSources.${name}.needs must be a list of package names`);
    }
  }
  const cross = raw.crossTools ?? {};
  if (typeof cross !== 'object' || Array.isArray(cross)
    || Object.values(cross as Record<string, unknown>).some((v) => !Array.isArray(v) || v.some((x) => typeof x !== 'string'))) {
    throw new LockConfigError(`${configRel}: "crossTools" must map a target arch (e.g. "aarch64") to a list of package names`);
  }
  const foreignArches = strList('foreignArches');
  for (const d of strList('inputDebs')) {
    const a = d.includes(':') ? d.slice(d.indexOf(':') + 1) : undefined;
    if (a !== undefined && !foreignArches.includes(a)) {
      throw new LockConfigError(`${configRel}: inputDebs "${d}" names architecture ${a}, which "foreignArches" does not list`);
    }
  }
  return {
    suite: str('suite'), arch: str('arch'), buildProfiles: strList('buildProfiles'), buildRoot: 'buildd', set,
    toolchainSources: tc as LockConfig['toolchainSources'], inputDebs: strList('inputDebs'),
    foreignArches, crossTools: cross as LockConfig['crossTools'],
    configPath, lockPath: join(dirname(configPath), 'debian.lock.json'),
  };
}
