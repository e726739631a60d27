/**
 * Runners start an action's command. The executor prepares the sandbox and reads the result;
 * the runner only starts the process with exactly the given argv, cwd and environment, sends
 * its stdout and stderr to the log file, and reports how it ended. Tests and benchmarks can
 * inject another runner (e.g. a pool of long-lived workers).
 */
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface RunRequest {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Created or truncated by the runner; stdout and stderr both go there. */
  readonly logPath: string;
  /** false: the command runs in a new, empty network namespace. */
  readonly network: boolean;
  /**
   * CPU slots the scheduler reserved. Above 1, the command is offered a GNU make jobserver
   * (a FIFO at `jobserverPath` holding slots-1 tokens, passed as fds 3 and 4 with MAKEFLAGS),
   * so nested makes share these slots instead of multiplying them.
   */
  readonly slots: number;
  readonly jobserverPath?: string;
}

export interface RunOutcome {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  readonly spawnError?: string;
}

export interface ActionRunner {
  run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome>;
}

const UNSHARE = '/usr/bin/unshare';
export const SETPRIV = '/usr/bin/setpriv';
/** util-linux's setpriv, to have a command's guard signalled when xbuild dies. */
export const hasSetpriv = existsSync(SETPRIV);

/**
 * Runs the command in the background of a small bash that leads the command's process group and
 * gets SIGTERM when xbuild dies (setpriv --pdeathsig), even by SIGKILL: it then stops the whole
 * group, so no make or compiler runs on in a sandbox the next build may take over. The guard
 * itself starts with an empty environment (so nothing in the action's, such as BASH_ENV, acts on
 * it); the command gets exactly its own through `env -i` ($1 = how many NAME=VALUE follow). The
 * command keeps SIGINT and SIGQUIT (a subshell that execs it; a plain `cmd &` would ignore them),
 * and its end is passed on as it was: its exit code, or the signal that killed it.
 */
const GUARD = 'trap \'kill -TERM -- -$$ 2>/dev/null; exit 143\' TERM; n=$1; shift; '
  + '( exec /usr/bin/env -i -- "${@:1:n}" "${@:n+1}" ) & '
  + 'wait $! 2>/dev/null; s=$?; if (( s > 128 )); then trap - TERM; kill -s $(( s - 128 )) $$ 2>/dev/null; fi; exit $s';

/** The argv that runs `argv` with environment `env` under GUARD (itself run with an empty environment). */
function guarded(argv: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [SETPRIV, '--pdeathsig', 'TERM', '/bin/bash', '--noprofile', '--norc', '-c', GUARD, 'xbuild-guard', String(vars.length), ...vars, ...argv];
}

/** Can this process create network namespaces? (root with util-linux's unshare) */
export const canIsolateNetwork = process.getuid?.() === 0 && existsSync(UNSHARE);

export class ProcessRunner implements ActionRunner {
  async run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    writeFileSync(req.logPath, '');
    const jobserver = req.slots > 1 && req.jobserverPath ? openJobserver(req.jobserverPath, req.slots) : undefined;
    const env = jobserver !== undefined && req.env.MAKEFLAGS === undefined
      ? { ...req.env, MAKEFLAGS: ` -j${req.slots} --jobserver-auth=3,4` } : req.env;
    const argv = hasSetpriv ? guarded(req.argv, env) : req.argv;
    const [file, ...args] = req.network || !canIsolateNetwork ? argv : [UNSHARE, '--net', '--', ...argv];
    let forceKill: NodeJS.Timeout | undefined;
    try {
      // Loaded on first use: most builds send every command to the shell workers.
      const { execa } = await import('execa');
      // Its own process group (a new session), so an interrupted build stops all it started.
      const sub = execa(file, args, {
        cwd: req.cwd,
        env: hasSetpriv ? {} : env,
        extendEnv: false,
        stdio: ['ignore', { file: req.logPath, append: true }, { file: req.logPath, append: true }, ...(jobserver !== undefined ? [jobserver, jobserver] : [])] as never,
        reject: false,
        detached: true,
      });
      const onAbort = () => {
        if (sub.pid !== undefined) forceKill = stopGroup(sub.pid);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const r = await sub;
      signal.removeEventListener('abort', onAbort);
      if (r.failed && r.exitCode === undefined && !r.signal) return { exitCode: undefined, signal: undefined, spawnError: r.shortMessage };
      return { exitCode: r.exitCode, signal: r.signal };
    } finally {
      clearTimeout(forceKill);
      if (jobserver !== undefined) closeSync(jobserver);
    }
  }
}

/** A command still running this long after SIGTERM (the build was interrupted) gets SIGKILL. */
const FORCE_KILL_AFTER_MS = 5000;

/**
 * Stops a command and everything it started: SIGTERM to its process group (each command leads
 * its own, so a make, a compiler or a pipeline inside dies with it instead of running on after
 * xbuild stops), SIGKILL after FORCE_KILL_AFTER_MS. Returns that timer, to clear once it ended.
 */
export function stopGroup(pid: number): NodeJS.Timeout {
  killGroup(pid, 'SIGTERM');
  return setTimeout(() => killGroup(pid, 'SIGKILL'), FORCE_KILL_AFTER_MS).unref();
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try { process.kill(pid, sig); } catch { /* gone */ }
  }
}

/** A FIFO holding `slots - 1` job tokens (the command itself holds the implicit one). */
function openJobserver(path: string, slots: number): number {
  execFileSync('/usr/bin/mkfifo', ['-m', '600', path]);
  const fd = openSync(path, 'r+'); // read-write: opening never blocks, and the FIFO never sees EOF
  writeSync(fd, Buffer.alloc(slots - 1, '+'));
  return fd;
}
