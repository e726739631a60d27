/**
 * Whether the process that wrote a lock, a lease or a temp file is still running.
 *
 * A pid alone does not say it: `kill(pid, 0)` succeeds on a zombie (a killed process its parent
 * has not reaped yet, which may be never), and a pid is reused once its process is gone. So a
 * process is named by its `ProcessIdentity`: the pid, plus the boot it ran in and its start time
 * in clock ticks since boot (field 22 of `/proc/<pid>/stat`), which no later process with the
 * same pid shares. A process is alive when `/proc/<pid>/stat` exists, says it is neither a zombie
 * nor dead (state `Z`/`X`), and, when the identity carries a start time, has that start time.
 *
 * Limits: pids name processes of one pid namespace. Several containers sharing one cache
 * directory see each other's builds as dead; give each its own cache, or share it only between
 * processes of one namespace.
 */
import { readFileSync } from 'node:fs';

/** A process as it is written into lock and lease files: `<pid>` or `<pid>@<boot>:<start ticks>`. */
export interface ProcessIdentity {
  readonly pid: number;
  /** `<boot id>:<start time in ticks>`; undefined for identities written by a pid alone. */
  readonly start?: string;
}

let self: ProcessIdentity | undefined;

/** This process. */
export function currentProcess(): ProcessIdentity {
  if (!self) {
    const st = readStat(process.pid);
    self = { pid: process.pid, start: st && st !== 'no-proc' && bootId() ? `${bootId()}:${st.start}` : undefined };
  }
  return self;
}

/** The text form: `<pid>` or `<pid>@<start>` (no spaces, usable in file names). */
export function formatIdentity(p: ProcessIdentity): string {
  return p.start ? `${p.pid}@${p.start}` : String(p.pid);
}

/** Parses `formatIdentity`'s text; undefined when it is not one. */
export function parseIdentity(text: string): ProcessIdentity | undefined {
  const m = /^(\d+)(?:@([0-9a-f-]+:\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const pid = Number(m[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  return m[2] ? { pid, start: m[2] } : { pid };
}

/** Whether the process named by `p` is running (a zombie is not; a reused pid is not). */
export function isAlive(p: ProcessIdentity): boolean {
  if (p.pid === process.pid) return p.start === undefined || p.start === currentProcess().start;
  const st = readStat(p.pid);
  if (st === 'no-proc') return killProbe(p.pid);
  if (!st) return false;
  if (st.state === 'Z' || st.state === 'X' || st.state === 'x') return false;
  if (p.start === undefined) return true;
  return p.start === `${bootId()}:${st.start}`;
}

/** Whether a process id names a live process (a zombie does not). EPERM: alive, but not ours. */
export function isProcessAlive(pid: number): boolean {
  return isAlive({ pid });
}

function killProbe(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let boot: string | undefined | null = null;
function bootId(): string | undefined {
  if (boot === null) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim().toLowerCase();
    } catch {
      boot = undefined;
    }
  }
  return boot;
}

/**
 * State and start time of a process from `/proc/<pid>/stat`; undefined when there is no such
 * process, 'no-proc' when /proc itself is not there (then only `kill(pid, 0)` can answer).
 */
function readStat(pid: number): { state: string; start: string } | undefined | 'no-proc' {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return procMounted() ? undefined : 'no-proc';
    return 'no-proc';
  }
  // The command name (field 2) is in parentheses and may hold spaces or ')': split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 22 (starttime) is rest[19].
  return { state: rest[0], start: rest[19] ?? '' };
}

let procOk: boolean | undefined;
function procMounted(): boolean {
  if (procOk === undefined) {
    try {
      readFileSync('/proc/self/stat');
      procOk = true;
    } catch {
      procOk = false;
    }
  }
  return procOk;
}
