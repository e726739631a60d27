/**
 * A runner that hands commands to a few long-lived shell workers instead of spawning each one
 * from Node. Forking a large Node process costs 13-16 ms on these machines; a small bash
 * forks in well under a millisecond (PERF.md measured 56-69 s vs 21-22 s for 2,600 actions).
 *
 * Each worker is `bash` inside its own bwrap sandbox, started once (engine/execute/isolation.ts: an
 * unprivileged uid, its own user, mount, PID, IPC, UTS and empty network namespaces, no
 * capabilities, only the system paths read-only). Its view holds one writable directory of its
 * own at /xbuild; before a command the action's sandbox directory is renamed into it (seen at
 * SANDBOX_PATH) and after the command renamed back, so any sandbox can run in any worker, at
 * the cost of two renames, and no worker ever sees another action's directory. For each request
 * the worker forks a subshell that sets exactly the given environment and execs the argv with
 * stdin from /dev/null and stdout+stderr to the sandbox's log, and answers `S <id> <pid>` when
 * started and `E <id> <status>` when done. Before answering `E` it kills every other process of
 * its PID namespace (`kill -KILL -1` until none is left: what the command left running, even in
 * a new session) and empties /tmp, /var/tmp and /dev/shm, so nothing of one action survives into
 * the next.
 * Commands that need the network, more than one CPU slot (the make jobserver), a uid range,
 * a persistent directory or tools outside the system paths go through the ProcessRunner (a
 * bwrap per command).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { isolation, SANDBOX_LOG, SANDBOX_PATH, REQUEST_PATH, SETPRIV, type Isolation } from './isolation.js';
import { hasSetpriv, outcomeOfStatus, ProcessRunner, stopGroup, type ActionRunner, type RunOutcome, type RunRequest } from './runner.js';
import { removeLeftovers, removeTree } from './removeTree.js';

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
// no command runs on in a sandbox the next build may take over. In a sandbox (__xb_reap set) the
// worker is killed as a whole instead: bwrap's --die-with-parent ends its PID namespace. There,
// `kill -1` spares the worker and init (and fails once none is left), and `rm --one-file-system`
// empties /tmp, /var/tmp and /dev/shm without entering a directory bound below them.
const WORKER_LINES = `
set +e;
trap '' INT;
trap '[[ -n $__xb_pid ]] && kill -TERM -- -"$__xb_pid" 2>/dev/null; exit 143' TERM;
for __xb_v in $(compgen -e); do export -n "$__xb_v"; done;
cd /;
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
      unset __xb_a __xb_f __xb_n __xb_id __xb_req __xb_pid __xb_v __xb_st __xb_reap __xb_g;
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
  if [[ -n $__xb_reap ]]; then
    while kill -s KILL -- -1 2>/dev/null; do :; done;
    shopt -s nullglob dotglob; __xb_g=(/dev/shm/* /tmp/* /var/tmp/*); shopt -u nullglob dotglob;
    (( \${#__xb_g[@]} )) && /usr/bin/rm -rf --one-file-system -- /dev/shm /tmp /var/tmp 2>/dev/null;
  fi;
  printf 'E %s %d\\n' "$__xb_id" "$__xb_st";
done
`;
/** The worker as one line (see above: evaluated scripts then start on line 1). */
const WORKER_SCRIPT = WORKER_LINES.trim().split('\n').map((l) => l.trim()).join(' ');

interface Pending {
  resolve(o: RunOutcome): void;
  pid?: number;
  /** Called with the command's pid once it started. */
  started?(pid: number): void;
  /** The build was interrupted and the (sandboxed) worker killed for it. */
  aborted?: boolean;
}

/** Where an action's sandbox directory goes inside a worker's directory while its command runs. */
const IN_WORKER = basename(SANDBOX_PATH);

class ShellWorker {
  readonly proc: ChildProcess;
  private readonly pending = new Map<string, Pending>();
  private readonly sandboxed: boolean;
  busy = false;
  dead = false;

  /** `dir`: the worker's own directory (sandboxed: seen at dirname(SANDBOX_PATH)). */
  constructor(private readonly iso: Isolation, private readonly dir: string, private readonly requestFile: string) {
    this.sandboxed = iso.mode !== 'none';
    const shell = ['/bin/bash', '--noprofile', '--norc', '-c', WORKER_SCRIPT];
    writeFileSync(requestFile, '', { mode: 0o644 }); // bound into the sandbox: it must exist
    const argv = this.sandboxed
      ? iso.wrap({ dir, at: dirname(SANDBOX_PATH), network: false, requestFile, chdir: '/' }, shell)
      : iso.wrap({ dir, at: dir, network: false, chdir: '/' }, [...(hasSetpriv ? [SETPRIV, '--pdeathsig', 'TERM'] : []), ...shell]);
    this.proc = spawn(argv[0], argv.slice(1), {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: '/usr/bin:/bin', ...(this.sandboxed ? { __xb_reap: '1' } : {}) },
    });
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
        p.resolve(outcomeOfStatus(Number(num)));
      }
    });
    this.proc.on('exit', () => {
      this.dead = true;
      for (const p of this.pending.values()) {
        p.resolve(p.aborted ? { exitCode: undefined, signal: 'SIGKILL' } : { exitCode: undefined, signal: undefined, spawnError: 'the shell worker died' });
      }
      this.pending.clear();
    });
    this.proc.stdin!.on('error', () => { /* reported through 'exit' */ });
  }

  async run(id: string, req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}`);
    const inside = this.sandboxed ? SANDBOX_PATH : req.sandboxDir;
    const fields = [`${inside}/${req.cwd}`, `${inside}/${SANDBOX_LOG}`, String(env.length), ...env, String(req.argv.length), ...req.argv];
    if (fields.some((f) => f.includes('\0'))) return { exitCode: undefined, signal: undefined, spawnError: 'argv or env contains a NUL byte' };
    writeFileSync(this.requestFile, fields.join('\0') + '\0');
    const here = join(this.dir, IN_WORKER);
    if (this.sandboxed) renameSync(req.sandboxDir, here);
    try {
      return await new Promise<RunOutcome>((resolve) => {
        const p: Pending = { resolve };
        this.pending.set(id, p);
        let forceKill: NodeJS.Timeout | undefined;
        const onAbort = () => {
          if (this.sandboxed) {
            // The whole sandbox goes: its PID namespace ends with the worker's bwrap.
            p.aborted = true;
            this.proc.kill('SIGKILL');
          } else if (p.pid) forceKill = stopGroup(p.pid);
        };
        // Interrupted before the worker said the command started: stopped as soon as it does.
        p.started = () => {
          if (signal.aborted) onAbort();
        };
        if (this.sandboxed && signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        const done = p.resolve;
        p.resolve = (o) => {
          signal.removeEventListener('abort', onAbort);
          clearTimeout(forceKill);
          done(o);
        };
        if (!this.dead) this.proc.stdin!.write(`${id}\n${this.sandboxed ? REQUEST_PATH : this.requestFile}\n`);
        else p.resolve({ exitCode: undefined, signal: undefined, spawnError: 'the shell worker died' });
      });
    } finally {
      if (this.sandboxed) {
        renameSync(here, req.sandboxDir);
        // As a normal user the command owns the worker's directory too: nothing it left there stays.
        if (!this.iso.asRoot) for (const n of readdirSync(this.dir)) removeTree(join(this.dir, n));
      }
    }
  }
}

export class WorkerPoolRunner implements ActionRunner {
  private readonly workers: ShellWorker[] = [];
  private readonly direct: ProcessRunner;
  private seq = 0;

  constructor(private readonly iso: Isolation = isolation()) {
    this.direct = new ProcessRunner(iso);
  }

  async run(req: RunRequest, signal: AbortSignal): Promise<RunOutcome> {
    if (req.network || req.slots > 1 || req.uidRange || req.persistentDir || req.unpacked || req.readOnly?.length) return this.direct.run(req, signal);
    let w = this.workers.find((x) => !x.busy && !x.dead);
    if (!w) {
      const base = dirname(req.sandboxDir);
      w = (!this.workers.length && takeEarlyWorker(base, this.iso)) || newWorker(this.iso, base, this.workers.length);
      this.workers.push(w);
    }
    w.busy = true;
    try {
      return await w.run(String(++this.seq), req, signal);
    } finally {
      w.busy = false;
    }
  }

  close(): void {
    for (const w of this.workers) w.proc.stdin?.end();
    early?.worker.proc.stdin?.end();
    early = undefined;
    this.iso.close();
  }
}

/** Commands go to long-lived shell workers (cheap forks); XBUILD_RUNNER=process spawns each from Node. */
const shellWorkers = (): boolean => process.env.XBUILD_RUNNER !== 'process';

export function newRunner(): ActionRunner {
  return shellWorkers() ? new WorkerPoolRunner() : new ProcessRunner();
}

/** Worker number `n` of this process, its directory in `base` (the sandboxes' directory). */
function newWorker(iso: Isolation, base: string, n: number): ShellWorker {
  // The worker directories of dead xbuild processes go (with the sandbox a killed build left in one).
  if (n === 0) removeLeftovers(base, /^w-(\d+)-/);
  const dir = join(base, `w-${process.pid}-${n}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return new ShellWorker(iso, dir, join(iso.runtimeDir(), `worker-${n}`));
}

/** The first worker, started ahead of the first command (startEarlyWorker) until a runner takes it or closes. */
let early: { readonly base: string; readonly worker: ShellWorker } | undefined;

/**
 * Starts this process's first shell worker now, for a build about to run a command: its start-up
 * (bwrap, setpriv, bash: 20-35 ms) then overlaps what the build does before its first command
 * (opening the cache database, the session, the action's key and sandbox) instead of delaying the
 * command. An incremental build that runs one action pays it on top of a no-op otherwise. The
 * runner takes it for its first command; a runner that takes none ends it when it closes.
 */
export function startEarlyWorker(sandboxBase: string): void {
  if (early || !shellWorkers()) return;
  try {
    early = { base: sandboxBase, worker: newWorker(isolation(), sandboxBase, 0) };
  } catch {
    // No sandbox here, or no directory for it: the first command meets the same and says so, blamed.
  }
}

function takeEarlyWorker(base: string, iso: Isolation): ShellWorker | undefined {
  const w = early?.base === base && iso === isolation() && !early.worker.dead ? early.worker : undefined;
  if (w) early = undefined;
  return w;
}
