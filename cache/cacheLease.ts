/**
 * Leases on a cache directory: what the xbuild processes using it right now rely on, so that
 * `xbuild cache gc` and `xbuild clean --all` in another process (another workspace sharing the
 * cache) leave it alone.
 *
 * Layout: `<cache>/leases/<identity>.lease`, one file per process using the cache
 * (`<identity>` is its `ProcessIdentity`, see processAlive.ts). The first line is a JSON header
 * `{ "kind": "use" | "clean", "pid", "workspace", "command", "startedMs" }`; every further line
 * is one SHA-256 the process relies on: a blob it stored, restored or linked, or an action key
 * whose row it read or wrote. A lease is live while its process is (a killed build's lease is
 * dead at once: nothing is stuck), and dead leases are removed by whoever finds them.
 *
 * Invariants (the protocol gc and clean rely on):
 * - A process pins a hash BEFORE it checks that the blob exists or uses it; `pin` writes the
 *   line at once (one write(2), visible to every other process). gc removes a blob only after
 *   moving it aside and then re-reading every live lease (see gc.ts), so a pin is either seen by
 *   gc (the blob is put back) or made after the blob was moved (the user finds it missing and
 *   treats it as a cache miss). Either way nothing a process uses disappears under it.
 * - `clean --all` writes a `clean` lease, then reads the `use` leases; a user writes its `use`
 *   lease, then reads the `clean` leases, and waits while one is live. One of the two always sees
 *   the other, so the cache is never removed under a running build.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcess, formatIdentity, isAlive, parseIdentity, type ProcessIdentity } from './processAlive.js';

export type LeaseKind = 'use' | 'clean';

/** The header of a lease file. */
export interface LeaseHeader {
  readonly kind: LeaseKind;
  readonly pid: number;
  readonly workspace: string;
  readonly command: string;
  readonly startedMs: number;
}

/** A live lease of another process, as gc and clean see it. */
export interface LiveLease {
  readonly identity: ProcessIdentity;
  readonly header: LeaseHeader;
  /** The hashes it pinned (only when read with `withPins`). */
  readonly pins: ReadonlySet<string>;
}

/** Something that can be told "I rely on this hash": the BlobStore and ActionCache call it. */
export interface Pinner {
  pin(hash: string): void;
  pinAll(hashes: Iterable<string>): void;
}

export function leaseDir(cacheDir: string): string {
  return join(cacheDir, 'leases');
}

/** This process's lease on a cache directory. Made by `CacheLease.take`; `release()` when done. */
export class CacheLease implements Pinner {
  private readonly pinned = new Set<string>();
  private fd: number | undefined;

  private constructor(readonly path: string, fd: number) {
    this.fd = fd;
  }

  /**
   * Takes a `use` lease on `cacheDir`, waiting while a `clean --all` of it is under way
   * (`onWait` is told once, with the cleaning process's pid).
   */
  static async take(cacheDir: string, header: Omit<LeaseHeader, 'kind' | 'pid'>, onWait?: (pid: number) => void): Promise<CacheLease> {
    let told = false;
    for (;;) {
      const lease = CacheLease.write(cacheDir, { kind: 'use', pid: process.pid, ...header });
      const cleaning = liveLeases(cacheDir).find((l) => l.header.kind === 'clean');
      // The cache directory may have been moved away by a clean that started before this lease
      // was written: then the lease is no longer at its path, and it is written again.
      if (!cleaning && lease.stillThere()) return lease;
      lease.release();
      if (cleaning && !told) {
        onWait?.(cleaning.header.pid);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Writes a lease file of this process (replacing one it left before). */
  static write(cacheDir: string, header: LeaseHeader): CacheLease {
    const dir = leaseDir(cacheDir);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${formatIdentity(currentProcess())}.lease`);
    const fd = openSync(path, 'w', 0o644);
    writeSync(fd, `${JSON.stringify(header)}\n`);
    return new CacheLease(path, fd);
  }

  pin(hash: string): void {
    if (this.fd === undefined || this.pinned.has(hash)) return;
    this.pinned.add(hash);
    writeSync(this.fd, `${hash}\n`);
  }

  pinAll(hashes: Iterable<string>): void {
    if (this.fd === undefined) return;
    let text = '';
    for (const h of hashes) {
      if (this.pinned.has(h)) continue;
      this.pinned.add(h);
      text += `${h}\n`;
    }
    if (text) writeSync(this.fd, text);
  }

  private stillThere(): boolean {
    try {
      statSync(this.path);
      return true;
    } catch {
      return false;
    }
  }

  release(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.path, { force: true });
  }
}

/**
 * Every live lease on `cacheDir` except this process's own; dead ones are removed on the way.
 * `withPins` also reads the hashes each one pinned (gc needs them; clean only the headers).
 */
export function liveLeases(cacheDir: string, withPins = false): LiveLease[] {
  const dir = leaseDir(cacheDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const me = currentProcess();
  const out: LiveLease[] = [];
  for (const name of names) {
    if (!name.endsWith('.lease')) continue;
    const identity = parseIdentity(name.slice(0, -'.lease'.length));
    if (!identity || (identity.pid === me.pid && identity.start === me.start)) continue;
    const path = join(dir, name);
    if (!isAlive(identity)) {
      rmSync(path, { force: true });
      continue;
    }
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch {
      continue; // released meanwhile
    }
    const nl = text.indexOf('\n');
    // A header not yet (wholly) written: a process starting to use the cache, which pins nothing yet.
    const header = parseHeader(nl < 0 ? '' : text.slice(0, nl))
      ?? { kind: 'use' as const, pid: identity.pid, workspace: '', command: '(starting)', startedMs: Date.now() };
    const pins = new Set<string>();
    if (withPins) for (const line of text.slice(nl + 1).split('\n')) if (line.length === 64) pins.add(line);
    out.push({ identity, header, pins });
  }
  return out;
}

/** One line per lease, for messages: `pid 1234 (xbuild build in /home/me/ws, for 3 min)`. */
export function describeLease(l: LiveLease): string {
  const mins = Math.round((Date.now() - l.header.startedMs) / 60_000);
  return `pid ${l.header.pid} (xbuild ${l.header.command}${l.header.workspace ? ` in ${l.header.workspace}` : ''}, running for ${mins < 1 ? 'less than a minute' : `${mins} min`})`;
}

function parseHeader(line: string): LeaseHeader | undefined {
  try {
    const h = JSON.parse(line) as Partial<LeaseHeader>;
    if ((h.kind !== 'use' && h.kind !== 'clean') || typeof h.pid !== 'number' || typeof h.startedMs !== 'number') return undefined;
    return { kind: h.kind, pid: h.pid, workspace: String(h.workspace ?? ''), command: String(h.command ?? ''), startedMs: h.startedMs };
  } catch {
    return undefined;
  }
}
