/**
 * Runners start an action's command. The executor prepares the sandbox directory and reads the
 * result; the runner starts the process inside the isolation of engine/execute/isolation.ts with exactly
 * the given argv, cwd and environment, sends its stdout and stderr to the log in the sandbox
 * directory, and reports how it ended. Tests and benchmarks can inject another runner (e.g. a
 * pool of long-lived workers).
 */
import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { isolation, SANDBOX_LOG, SANDBOX_PATH, SandboxError, SETPRIV, type Isolation, type SandboxView } from './isolation.js';

/** A command to run; its fields shared with SandboxView (network, uid range, what it sees) say how it is isolated. */
export interface RunRequest extends Pick<SandboxView, 'network' | 'uidRange' | 'readOnly' | 'persistentDir' | 'unpacked'> {
  readonly argv: readonly string[];
  /** The command's whole environment; paths in it are as the command sees them (Isolation.insidePath). */
  readonly env: Readonly<Record<string, string>>;
  /**
   * The action's sandbox directory on the host (engine/execute/sandbox.ts): the command sees it at
   * SANDBOX_PATH and nothing else of the host's writable filesystem. The runner sends stdout
   * and stderr to SANDBOX_LOG in it (created or truncated); the executor moves that log out.
   */
  readonly sandboxDir: string;
  /** The working directory, relative to the sandbox directory. */
  readonly cwd: string;
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

/** Exit statuses above 128 that mean a signal (a shell's or bwrap's way of passing one on). */
const SIGNALS: Readonly<Record<number, string>> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

/** How a command that passes a signal on as its exit status (above) ended. */
export function outcomeOfStatus(status: number): RunOutcome {
  const signal = status > 128 ? SIGNALS[status - 128] : undefined;
  return signal ? { exitCode: undefined, signal } : { exitCode: status, signal: undefined };
}

/**
 * Starts each command as its own process, in its own sandbox (a bwrap per command: its PID
 * namespace ends with it, taking along anything it left running). Used for the commands the
 * shell workers do not take: network, several CPU slots (the jobserver's descriptors), a uid
 * range, tools or a persistent directory outside the workers' view.
 */
export class ProcessRunner implements ActionRunner {
  constructor(private readonly iso: Isolation = isolation()) {}

  async run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    const logPath = join(req.sandboxDir, SANDBOX_LOG);
    writeFileSync(logPath, '');
    let argv: string[];
    const jobserver = req.slots > 1 && req.jobserverPath ? openJobserver(req.jobserverPath, req.slots) : undefined;
    const env = jobserver !== undefined && req.env.MAKEFLAGS === undefined
      ? { ...req.env, MAKEFLAGS: ` -j${req.slots} --jobserver-auth=3,4` } : req.env;
    try {
      const view = {
        dir: req.sandboxDir, at: SANDBOX_PATH, network: req.network, uidRange: req.uidRange, readOnly: req.readOnly,
        persistentDir: req.persistentDir, unpacked: req.unpacked, chdir: this.iso.insidePath(req.sandboxDir, req.cwd),
      };
      argv = this.iso.wrap(view, hasSetpriv ? guarded(req.argv, env) : req.argv);
    } catch (e) {
      if (jobserver !== undefined) closeSync(jobserver);
      if (e instanceof SandboxError) return { exitCode: undefined, signal: undefined, spawnError: e.message };
      throw e;
    }
    const sandboxed = this.iso.mode !== 'none';
    const [file, ...args] = argv;
    let forceKill: NodeJS.Timeout | undefined;
    try {
      // Loaded on first use: most builds send every command to the shell workers.
      const { execa } = await import('execa');
      // Its own process group (a new session), so an interrupted build stops all it started
      // (a sandbox ends as a whole: its PID namespace dies with bwrap).
      const sub = execa(file, args, {
        cwd: sandboxed ? req.sandboxDir : join(req.sandboxDir, req.cwd),
        env: hasSetpriv || sandboxed ? {} : env,
        extendEnv: false,
        stdio: ['ignore', { file: logPath, append: true }, { file: logPath, append: true }, ...(jobserver !== undefined ? [jobserver, jobserver] : [])] as never,
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
      return sandboxed && r.exitCode !== undefined ? outcomeOfStatus(r.exitCode) : { exitCode: r.exitCode, signal: r.signal };
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
