/**
 * `xbuild lock update|check|ensure`: the Debian lock of the workspace (packages/debian.lock.json).
 *
 *   update   resolve every pin again against the archive (newest served versions) and write the lock
 *   check    ask the archive about every pin; list missing (not served) and outdated ones; exit 1 if any
 *   ensure   check, and update when a pin is missing (what scripts/setup.sh runs on a new machine)
 */
import { EXIT_CODE } from '../engine/report/blame.js';
import { createHash } from 'node:crypto';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { AptArchive, AptError, machineDebianSources } from '../lock/aptArchive.js';
import { checkLock, describeStale, type CheckResult } from '../lock/check.js';
import { DEFAULT_CONFIG, readLockConfig, LockConfigError, type LockConfig } from '../lock/lockConfig.js';
import { isUniverseConfig, readUniverseConfig, type UniverseConfig } from '../lock/universeConfig.js';
import { movedPins, readLock, writeLock, type DebianLock } from '../lock/lockFile.js';
import { resolveLock } from '../lock/resolve.js';
import { resolveUniverse } from '../lock/universe.js';
import { bootstrapJson, breakCycles } from '../lock/bootstrap.js';
import { ServedCheck } from '../lock/served.js';
import { UsageError } from './args.js';
import type { CommandContext } from './commandContext.js';

const say = (s: string) => process.stderr.write(`${s}\n`);

export async function lockCommand(ctx: CommandContext): Promise<number> {
  const [sub, ...extra] = ctx.positional;
  if (!sub || !['update', 'check', 'ensure'].includes(sub) || extra.length) throw new UsageError('usage: xbuild lock update|check|ensure [--config packages/lock.config.json]');
  let config: LockConfig | UniverseConfig;
  const configRel = (ctx.flags.config as string | undefined) ?? DEFAULT_CONFIG;
  try {
    config = isUniverseConfig(ctx.root, configRel) ? readUniverseConfig(ctx.root, configRel) : readLockConfig(ctx.root, configRel);
  } catch (e) {
    if (e instanceof LockConfigError) {
      say(`error[lock-config] ${e.message}`);
      return EXIT_CODE.user;
    }
    throw e;
  }
  const started = Date.now();
  let served: ServedCheck | undefined;
  try {
    const archive = await openArchive(ctx.cacheDir, config);
    served = new ServedCheck();
    const rel = (p: string) => relative(ctx.root, p);
    if (sub === 'update') return await update(ctx.root, config, archive, served, started);
    const lock = existsSync(config.lockPath) ? readLock(config.lockPath) : undefined;
    if (!lock) {
      say(`lock ${sub}: ${rel(config.lockPath)} does not exist`);
      if (sub === 'check') return 1;
      return await update(ctx.root, config, archive, served, started);
    }
    const result = await checkLock(lock, archive, served);
    printCheck(result, rel(config.lockPath), started);
    const missing = result.stale.filter((s) => s.state === 'missing');
    if (sub === 'check') return result.stale.length ? 1 : 0;
    if (!missing.length) {
      if (result.stale.length) say('lock ensure: every pin is still served, so the build works with the lock as it is; `xbuild lock update` takes the newer versions');
      return 0;
    }
    say(`lock ensure: ${missing.length} pin${missing.length === 1 ? ' is' : 's are'} no longer served: updating the lock`);
    return await update(ctx.root, config, archive, served, started, lock);
  } catch (e) {
    if (e instanceof AptError) {
      say(`error[archive] ${e.message}`);
      return EXIT_CODE[e.blame];
    }
    throw e;
  } finally {
    served?.close();
  }
}

/** The private apt state for this machine's sources (kept in the cache dir, updated on each use). */
async function openArchive(cacheDir: string, config: { readonly arch: string; readonly foreignArches?: readonly string[] }): Promise<AptArchive> {
  const sources = machineDebianSources();
  const arches = [config.arch, ...(config.foreignArches ?? [])];
  const key = createHash('sha256').update(`${arches.join(',')}\n${sources.text}`).digest('hex').slice(0, 16);
  const archive = new AptArchive(join(cacheDir, 'apt', key), sources.text, config.arch, config.foreignArches);
  say(`lock: reading the archive's indices (apt sources from ${sources.file}, private state ${archive.stateDir})`);
  await archive.update();
  return archive;
}

async function update(root: string, config: LockConfig | UniverseConfig, archive: AptArchive, served: ServedCheck, started: number, before?: DebianLock): Promise<number> {
  before ??= existsSync(config.lockPath) ? readLock(config.lockPath) : undefined;
  const log = (m: string) => say(`lock update: ${m}`);
  let lock: DebianLock;
  if ('kind' in config) {
    const u = await resolveUniverse({ archive, served, config, log });
    lock = u.lock;
    log(`phases: ${Object.entries(u.counts.phasesMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')}`);
    // The bootstrap: the source graph's cycles and the edges broken, one a line (lock/bootstrap.ts).
    const boot = breakCycles(lock.universe!);
    const bootPath = join(dirname(config.lockPath), 'bootstrap.json');
    writeFileSync(`${bootPath}.tmp`, bootstrapJson(boot));
    renameSync(`${bootPath}.tmp`, bootPath);
    const c = boot.counts;
    log(`bootstrap: ${c.sources} sources, ${c.edges} edges, ${c.cyclicComponents} cycles (the biggest ${c.biggestComponent} sources); `
      + `broken: ${c.brokenProfile} by a build profile, ${c.brokenTwice} built twice, ${c.brokenSelf} self (${relative(root, bootPath)})`);
  } else lock = await resolveLock({ archive, served, config, log });
  writeLock(config.lockPath, lock);
  const rel = relative(root, config.lockPath);
  const moved = movedPins(before, lock);
  const n = Object.keys(lock.sources).length + lock.buildRoot.packages.length + Object.keys(lock.binaries).length + Object.keys(lock.inputs).length;
  say(`lock update: wrote ${rel}: ${n} pins (${Object.keys(lock.sources).length} sources, ${lock.buildRoot.packages.length} build-root .debs, `
    + `${Object.keys(lock.binaries).length} build dependencies, ${Object.keys(lock.inputs).length} input .debs), ${served.requests} HEAD requests, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (moved.length) {
    say(`lock update: ${moved.length} pin${moved.length === 1 ? '' : 's'} moved:`);
    for (const m of moved) say(`  ${m}`);
    say(`lock update: ${rel} now differs from the committed one (git diff ${rel}): commit it to share it`);
  } else say('lock update: no pin moved');
  for (const p of lock.passedOver.filter((x) => x.kind === 'source' || moved.some((m) => m.startsWith(`${x.kind} ${x.name}:`)))) {
    say(`lock update: passed over ${p.kind} ${p.name} ${p.version} (${p.suite}): ${p.why}`);
  }
  for (const w of lock.warnings) say(`warning: ${w}`);
  return 0;
}

function printCheck(r: CheckResult, lockRel: string, started: number): void {
  for (const s of r.stale) say(s.state === 'missing' ? `error: ${describeStale(s)}` : `warning: ${describeStale(s)}`);
  const missing = r.stale.filter((s) => s.state === 'missing').length;
  const outdated = r.stale.length - missing;
  say(`lock check: ${lockRel}: ${r.pins} pins (${r.files} files) checked in ${((Date.now() - started) / 1000).toFixed(1)} s: `
    + `${missing} missing, ${outdated} outdated${r.stale.length ? '; `xbuild lock update` refreshes the lock' : ''}`);
}
