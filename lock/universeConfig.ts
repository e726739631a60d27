/**
 * The universe's lock request (`packages/universe/lock.config.json`, `"kind": "universe"`): which
 * binary packages the image holds, and how building for XSC splits dependencies between the
 * build machine (Debian's packages in the build root) and XSC builds. `xbuild lock update
 * --config packages/universe/lock.config.json` answers it with `universe.lock.json` next to it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LockConfigError } from './lockConfig.js';

export interface UniverseConfig {
  readonly kind: 'universe';
  /** The Debian suite whose binaries are selected (`bookworm`); its updates and security suites serve too. */
  readonly suite: string;
  readonly arch: string;
  /**
   * Build profiles active for every build of the universe: `cross` (it is a cross build: Debian
   * activates it then), `nocheck` (tests do not run), `nobiarch`.
   */
  readonly buildProfiles: readonly string[];
  readonly select: {
    /** Every binary of these priorities. */
    readonly priorities: readonly string[];
    /** Every Essential: yes binary. */
    readonly essential: boolean;
    /** Debian's task metapackages (`task-gnome-desktop`, ...), installed as tasksel would. */
    readonly tasks: readonly string[];
    /** Follow Recommends, as apt and tasksel do by default. */
    readonly recommends: boolean;
  };
  /**
   * Sources whose binaries the XSC toolchain makes (glibc, the gcc runtime, kernel headers): a
   * package needing them depends on //toolchains, and their Debian dependencies are not followed.
   */
  readonly toolchainSources: readonly string[];
  /**
   * Binary packages that run on the build machine although Debian's metadata puts them on the
   * host side of a cross build (Multi-Arch: no or allowed, named without `:native`), with why.
   */
  readonly buildMachine: Readonly<Record<string, string>>;
  readonly configPath: string;
  readonly lockPath: string;
}

/** Is this config file a universe request (rather than the default set's)? */
export function isUniverseConfig(workspace: string, configRel: string): boolean {
  const path = join(workspace, configRel);
  if (!existsSync(path)) return false;
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { kind?: unknown }).kind === 'universe';
  } catch {
    return false;
  }
}

export function readUniverseConfig(workspace: string, configRel: string): UniverseConfig {
  const configPath = join(workspace, configRel);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new LockConfigError(`${configRel}: ${(e as Error).message}`);
  }
  const strList = (v: unknown, k: string): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new LockConfigError(`${configRel}: "${k}" must be a list of strings`);
    return v as string[];
  };
  const str = (k: string): string => {
    if (typeof raw[k] !== 'string' || !raw[k]) throw new LockConfigError(`${configRel}: "${k}" must be a non-empty string`);
    return raw[k] as string;
  };
  const sel = (raw.select ?? {}) as Record<string, unknown>;
  const bm = raw.buildMachine ?? {};
  if (typeof bm !== 'object' || Array.isArray(bm) || Object.values(bm as object).some((v) => typeof v !== 'string' || !v)) {
    throw new LockConfigError(`${configRel}: "buildMachine" must map binary package names to the reason they run on the build machine`);
  }
  const dir = dirname(configPath);
  return {
    kind: 'universe', suite: str('suite'), arch: str('arch'), buildProfiles: strList(raw.buildProfiles ?? [], 'buildProfiles'),
    select: {
      priorities: strList(sel.priorities ?? [], 'select.priorities'), essential: sel.essential !== false,
      tasks: strList(sel.tasks ?? [], 'select.tasks'), recommends: sel.recommends !== false,
    },
    toolchainSources: strList(raw.toolchainSources ?? [], 'toolchainSources'),
    buildMachine: bm as Record<string, string>,
    configPath, lockPath: join(dir, 'universe.lock.json'),
  };
}
