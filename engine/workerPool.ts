/**
 * A runner that hands commands to a few long-lived shell workers instead of spawning each one
 * from Node. Forking a large Node process costs 13-16 ms on these machines; a small bash
 * forks in well under a millisecond (PERF.md measured 56-69 s vs 21-22 s for 2,600 actions).
 *
 * Each worker is `bash` (inside `unshare --net` when running as root, so every command it
 * runs has no network, with one namespace per worker instead of one per action). For each
 * request it forks a subshell that sets exactly the given environment and execs the argv with
 * stdin from /dev/null and stdout+stderr to the log, and answers `S <id> <pid>` when started
 * and `E <id> <status>` when done.
 * Commands that need the network or more than one CPU slot (the make jobserver) go through
 * the plain ProcessRunner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isProcessAlive } from '../cache/processAlive.js';
import { canIsolateNetwork, hasSetpriv, ProcessRunner, SETPRIV, stopGroup, type ActionRunner, type RunOutcome, type RunRequest } from './runner.js';

// Requests come as two lines (id, request file); the request file holds NUL-separated fields:
// cwd, log path, the number of env entries, the entries, the number of args, the args. Bash
// reads a pipe one byte per read(2) but a regular file in blocks, so the fields go in a file
// (one per worker, rewritten for each request, in /dev/shm when there is one).
// The environment is set with `export` in the forked subshell (the worker's own variables are
// unexported first), which saves the exec of `env -i` per action; names bash refuses to export
// (readonly or not identifiers) fall back to `env -i`.
// A command that is `/bin/bash -euo pipefail -c SCRIPT` (the cmd rule's) is evaluated in the
// forked subshell instead of exec'ing a new bash: a bash exec costs ~1 ms of CPU per action.
// The subshell first drops the worker's variables, so the script sees what a fresh bash would;
// the script runs on line 1 of the worker (the whole worker is one line), so bash's messages
// ("bash: line 3: x: command not found") read as they would from `bash -c`, and PWD and SHLVL
// are exported as a new bash would. What differs: $$ and $PPID name the worker, BASH_SUBSHELL is 1.
// Each command is forked with job control on (`set -m` only around the fork), so it leads its own
// process group and an interrupted build can stop it with everything it started (killGroup). The
// worker ignores SIGINT, so a Ctrl-C on the terminal reaches xbuild, which stops the commands;
// the commands themselves get SIGINT's default disposition back. If xbuild dies (even killed with
// SIGKILL), the worker gets SIGTERM (setpriv --pdeathsig) and passes it to its command's group, so
// no command runs on in a sandbox the next build may take over.
const WORKER_LINES = `
set +e;
trap '' INT;
trap '[[ -n $__xb_pid ]] && kill -TERM -- -"$__xb_pid" 2>/dev/null; exit 143' TERM;
for __xb_v in $(compgen -e); do export -n "$__xb_v"; done;
while IFS= read -r __xb_id && IFS= read -r __xb_req; do
  if ! mapfile -d '' -t __xb_f < "$__xb_req"; then printf 'E %s 127\\n' "$__xb_id"; continue; fi;
  __xb_n=\${__xb_f[2]};
  set -m;
  (
    set +m;
    trap - INT;
    cd -- "\${__xb_f[0]}" || exit 126;
    unset OLDPWD SHLVL;
    if (( __xb_n )) && ! export -- "\${__xb_f[@]:3:__xb_n}" 2>/dev/null; then exec /usr/bin/env -i -- "\${__xb_f[@]:3:__xb_n}" "\${__xb_f[@]:4+__xb_n}"; fi;
    __xb_a=("\${__xb_f[@]:4+__xb_n}");
    if [[ \${#__xb_a[@]} -eq 5 && \${__xb_a[0]} == /bin/bash && \${__xb_a[1]} == -euo && \${__xb_a[2]} == pipefail && \${__xb_a[3]} == -c ]]; then
      __xb_s=\${__xb_a[4]};
      unset __xb_a __xb_f __xb_n __xb_id __xb_req __xb_pid __xb_v __xb_st;
      export PWD SHLVL=$(( \${SHLVL:-0} + 1 ));
      set -euo pipefail;
      eval "unset __xb_s; $__xb_s";
      exit;
    fi;
    exec -- "\${__xb_a[@]}";
  ) </dev/null >"\${__xb_f[1]}" 2>&1 &
  __xb_pid=$!;
  set +m;
  printf 'S %s %d\\n' "$__xb_id" "$__xb_pid";
  wait "$__xb_pid" 2>/dev/null;
  __xb_st=$?;
  __xb_pid=;
  printf 'E %s %d\\n' "$__xb_id" "$__xb_st";
done
`;
/** The worker as one line (see above: evaluated scripts then start on line 1). */
const WORKER_SCRIPT = WORKER_LINES.trim().split('\n').map((l) => l.trim()).join(' ');

const SIGNALS: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 13: 'SIGPIPE', 15: 'SIGTERM' };

interface Pending {
  resolve(o: RunOutcome): void;
  pid?: number;
  /** Called with the command's pid once it started. */
  started?(pid: number): void;
}

class ShellWorker {
  readonly proc: ChildProcess;
  private readonly pending = new Map<string, Pending>();
  busy = false;
  dead = false;

  constructor(private readonly requestFile: string) {
    // The worker gets SIGTERM when xbuild dies (even by SIGKILL), and passes it to its command's group.
    const shell = [...(hasSetpriv ? [SETPRIV, '--pdeathsig', 'TERM'] : []), '/bin/bash', '--noprofile', '--norc', '-c', WORKER_SCRIPT];
    const argv = canIsolateNetwork ? ['/usr/bin/unshare', '--net', '--', ...shell] : shell;
    this.proc = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: '/usr/bin:/bin' } });
    const rl = createInterface({ input: this.proc.stdout! });
    rl.on('line', (line) => {
      const [kind, id, num] = line.split(' ');
      const p = this.pending.get(id);
      if (!p) return;
      if (kind === 'S') {
        p.pid = Number(num);
        p.started?.(p.pid);
      }
      else {
        this.pending.delete(id);
        const status = Number(num);
        p.resolve(status > 128 && SIGNALS[status - 128] ? { exitCode: undefined, signal: SIGNALS[status - 128] } : { exitCode: status, signal: undefined });
      }
    });
    this.proc.on('exit', () => {
      this.dead = true;
      for (const p of this.pending.values()) p.resolve({ exitCode: undefined, signal: undefined, spawnError: 'the shell worker died' });
      this.pending.clear();
    });
    this.proc.stdin!.on('error', () => { /* reported through 'exit' */ });
  }

  run(id: string, req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
    const fields = [req.cwd, req.logPath, String(env.length), ...env, String(req.argv.length), ...req.argv];
    if (fields.some((f) => f.includes('\0'))) return Promise.resolve({ exitCode: undefined, signal: undefined, spawnError: 'argv or env contains a NUL byte' });
    writeFileSync(this.requestFile, fields.join('\0') + '\0');
    return new Promise<RunOutcome>((resolve) => {
      const p: Pending = { resolve };
      this.pending.set(id, p);
      let forceKill: NodeJS.Timeout | undefined;
      const onAbort = () => {
        if (p.pid) forceKill = stopGroup(p.pid);
      };
      // Interrupted before the worker said the command started: stopped as soon as it does.
      p.started = () => {
        if (signal.aborted) onAbort();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = p.resolve;
      p.resolve = (o) => {
        signal.removeEventListener('abort', onAbort);
        clearTimeout(forceKill);
        done(o);
      };
      this.proc.stdin!.write(`${id}\n${this.requestFile}\n`);
    });
  }

  stop(): void {
    this.proc.stdin?.end();
  }
}

export class WorkerPoolRunner implements ActionRunner {
  private readonly workers: ShellWorker[] = [];
  private readonly direct = new ProcessRunner();
  private seq = 0;

  async run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    if (req.network || req.slots > 1) return this.direct.run(req, signal);
    let w = this.workers.find((x) => !x.busy && !x.dead);
    if (!w) {
      this.requestDir ??= makeRequestDir();
      w = new ShellWorker(join(this.requestDir, `worker-${this.workers.length}`));
      this.workers.push(w);
    }
    w.busy = true;
    try {
      return await w.run(String(++this.seq), req, signal);
    } finally {
      w.busy = false;
    }
  }

  private requestDir?: string;

  close(): void {
    for (const w of this.workers) w.stop();
    if (this.requestDir) rmSync(this.requestDir, { recursive: true, force: true });
  }
}

const REQUEST_DIR_PREFIX = 'xbuild-requests-';

/** This process's directory for request files (tmpfs when available); dead processes' are swept. */
function makeRequestDir(): string {
  const parent = isWritableDir('/dev/shm') ? '/dev/shm' : tmpdir();
  for (const n of safeReaddir(parent)) {
    const pid = Number(n.startsWith(REQUEST_DIR_PREFIX) ? n.slice(REQUEST_DIR_PREFIX.length) : NaN);
    if (pid > 0 && pid !== process.pid && !isProcessAlive(pid)) rmSync(join(parent, n), { recursive: true, force: true });
  }
  const dir = join(parent, `${REQUEST_DIR_PREFIX}${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function isWritableDir(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
