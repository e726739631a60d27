/**
 * Isolation: what an action's command can see and do, and the bubblewrap (bwrap) command lines
 * that give it that view. Both runners (the shell workers and the per-action ProcessRunner)
 * build their sandboxes here, so there is one definition of the view.
 *
 * What a sandboxed command sees (and nothing else):
 * - `/usr` and the merged-/usr links (`/bin`, `/sbin`, `/lib*`), read-only;
 * - `/etc` read-only, without its secrets (shadow files, sudoers, ssh host keys, TLS private
 *   keys, apt credentials, machine-id, xbuild's own config), with a
 *   `/etc/passwd` and `/etc/group` naming only root, the sandbox user and nobody;
 * - a minimal `/dev` (null, zero, full, random, urandom, tty, its own pts and shm), the `/proc`
 *   of its own PID namespace, its own empty `/tmp`, `/var/tmp` and `/dev/shm` (a shell worker
 *   empties them after every command);
 * - its sandbox directory at SANDBOX_PATH (read-write: `execroot/` with the declared inputs,
 *   `tmp/` for HOME and TMPDIR);
 * - the declared tools that lie outside those system paths (e.g. xbuild's rule scripts),
 *   read-only at their own paths, a declared persistent directory at PERSISTENT_PATH, and the
 *   unpacked tree of an `unpack` input read-only at UNPACKED_PATH;
 * - with a uid range (actions that unpack and enter a Debian root), `/sys` read-only.
 * It runs in its own mount, PID, IPC, UTS and cgroup namespaces and, unless it declares
 * `network: true`, its own empty network namespace; it has no capabilities (except as root of
 * a uid-range user namespace, over that namespace only), no_new_privs, and its own session.
 * On the host it is an unprivileged uid: when xbuild runs as root, the sandbox uid (the start
 * of root's range in /etc/subuid, else 0x70000000), to which setpriv drops once bwrap has set
 * the view up; as a normal user, that user's own uid in bwrap's user namespace.
 * Files staged by xbuild (inputs, blobs) belong to xbuild's uid and are read-only, so with
 * xbuild running as root an action cannot write, chmod or hard-link them; it owns only the
 * directories of its own sandbox. The cache, the keys, the workspace and other sandboxes are
 * simply not in its view.
 *
 * `XBUILD_SANDBOX=none` runs commands without any of this (for machines without user
 * namespaces), with a warning on every build. `XBUILD_TEST_SHARED_DIR` shows one host
 * directory read-write at its own path in every sandbox: the test suite counts real runs of
 * commands there; it is never set for builds.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, accessSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeLeftovers } from './removeTree.js';

export const BWRAP = '/usr/bin/bwrap';
export const SETPRIV = '/usr/bin/setpriv';
export const UNSHARE = '/usr/bin/unshare';

/** Where a command sees its sandbox directory (`execroot/`, `tmp/`, the log). */
export const SANDBOX_PATH = '/xbuild/sandbox';
/** Where a command sees its declared persistent directory. */
export const PERSISTENT_PATH = '/xbuild/persistent';
/** Where a command sees the unpacked tree of its `unpack` input (engine/execute/unpackedTrees.ts). */
export const UNPACKED_PATH = '/xbuild/unpacked';
/** Where a shell worker reads its requests. */
export const REQUEST_PATH = '/run/xbuild/request';
/** The file in a sandbox directory that receives the command's stdout and stderr. */
export const SANDBOX_LOG = 'log';
/** Size of the uid range of `uidRange` actions (root of their namespace is its first uid). */
export const UID_RANGE = 65536;
/** The sandbox uid when root has no range in /etc/subuid: unused by systemd's and nspawn's ranges. */
const DEFAULT_SANDBOX_UID = 0x70000000;

/**
 * Where a uid-range sandbox's sources are bound first: a tmpfs over this (empty) host directory,
 * in a private mount namespace. No source lies below it.
 */
const STAGE_DIR = '/run/xbuild-stage';
/** Binds each argument before `--` at STAGE_DIR/N (N from 0), then execs the rest. */
const STAGE_SCRIPT = `mkdir -p ${STAGE_DIR} && mount -t tmpfs -o mode=0755,size=64k xbuild-stage ${STAGE_DIR} || exit 125; i=0; `
  + `while [ "$1" != -- ]; do if [ -d "$1" ]; then mkdir "${STAGE_DIR}/$i"; else : > "${STAGE_DIR}/$i"; fi; `
  + `mount --bind "$1" "${STAGE_DIR}/$i" || exit 125; i=$((i + 1)); shift; done; shift; exec "$@"`;

/** Host paths a sandbox shows read-only at the same place. */
const SYSTEM_DIRS = ['/usr', '/etc'];
/** Top-level names that are links into /usr on a merged-/usr system (or directories otherwise). */
const USR_LINKS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
/** What of /etc a command must not read: secrets of the host and its users. */
const HIDDEN_ETC = [
  'shadow', 'shadow-', 'gshadow', 'gshadow-', 'passwd-', 'group-',
  'sudoers', 'sudoers.d', 'ssh', 'ssl/private', 'security/opasswd', 'apt/auth.conf', 'apt/auth.conf.d',
  'machine-id', 'credstore', 'credstore.encrypted', 'xbuild', 'wireguard', 'krb5.keytab',
  'NetworkManager/system-connections', 'ppp/chap-secrets', 'ppp/pap-secrets', 'docker', 'containers/auth.json',
];

/** How one command is to be isolated; made by the runners from a RunRequest (engine/execute/runner.ts). */
export interface SandboxView {
  /** Host directory bound read-write at `at` (a sandbox dir at SANDBOX_PATH, or a worker's dir at /xbuild). */
  readonly dir: string;
  readonly at: string;
  /** false: the command runs in a new, empty network namespace. */
  readonly network: boolean;
  /**
   * The command is root of a user namespace mapping UID_RANGE uids, with capabilities inside it,
   * instead of one unprivileged uid (it unpacks and enters a root filesystem).
   */
  readonly uidRange?: boolean;
  /** Host paths outside the system directories the command reads (declared tools), shown read-only at the same path. */
  readonly readOnly?: readonly string[];
  /** A directory kept between runs, seen read-write at PERSISTENT_PATH. */
  readonly persistentDir?: string;
  /** An unpacked tree (engine/execute/unpackedTrees.ts), seen read-only at UNPACKED_PATH. */
  readonly unpacked?: string;
  /** A worker's request file, shown read-only at REQUEST_PATH. */
  readonly requestFile?: string;
  readonly chdir: string;
}

/**
 * The isolation this process gives commands. One per process (`isolation()`): it reads
 * /etc/subuid and stats /etc once, and writes the sandbox's passwd and group files into
 * `runtimeDir` (tmpfs when there is one).
 */
export class Isolation {
  readonly mode: 'bwrap' | 'none';
  /** Whether xbuild runs as root (then commands run as sandboxUid, which owns none of xbuild's files). */
  readonly asRoot: boolean;
  /** The uid (and gid) that owns a sandbox's directories on the host. */
  readonly sandboxUid: number;
  /** Whether root has a subordinate range in /etc/subuid and /etc/subgid starting at sandboxUid (uidRange actions). */
  readonly hasUidRange: boolean;
  /** XBUILD_TEST_SHARED_DIR: a host directory every sandbox sees read-write (tests only). */
  readonly testSharedDir?: string;
  private runtime?: string;
  private fixedArgs?: string[];

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const uid = process.getuid?.() ?? 0;
    this.asRoot = uid === 0;
    const setting = env.XBUILD_SANDBOX ?? '';
    if (setting !== '' && setting !== 'none' && setting !== 'bwrap') {
      throw new Error(`XBUILD_SANDBOX=${setting}: expected "none" or "bwrap"`);
    }
    this.mode = setting === 'none' ? 'none' : 'bwrap';
    const range = this.asRoot ? subordinateRange('root') : undefined;
    this.sandboxUid = this.asRoot ? range?.start ?? DEFAULT_SANDBOX_UID : uid;
    this.hasUidRange = !!range && range.count >= UID_RANGE;
    this.testSharedDir = env.XBUILD_TEST_SHARED_DIR || undefined;
  }

  /** A warning for every build when commands are not isolated (or cannot be), else undefined. */
  warning(): string | undefined {
    if (this.mode === 'none') {
      return 'XBUILD_SANDBOX=none: actions run WITHOUT isolation, as xbuild\'s own user: they can read and write the cache, '
        + 'signing keys, the workspace and each other\'s results; never sign or upload what such a build makes';
    }
    if (!existsSync(BWRAP)) return `actions cannot be sandboxed: ${BWRAP} is missing: install Debian's bubblewrap (scripts/setup.sh does), or run with XBUILD_SANDBOX=none to build without isolation`;
    if (this.asRoot && !existsSync(SETPRIV)) return `actions cannot be sandboxed: ${SETPRIV} is missing (util-linux)`;
    return undefined;
  }

  /** What a command sees for a host directory of its sandbox. */
  insidePath(hostSandboxDir: string, rel = ''): string {
    const base = this.mode === 'none' ? hostSandboxDir : SANDBOX_PATH;
    return rel ? `${base}/${rel}` : base;
  }

  /** Whether a host path is visible to every sandbox (under /usr or /etc, and not hidden). */
  visible(path: string): boolean {
    if (this.mode === 'none') return true;
    for (const d of SYSTEM_DIRS) {
      if (path === d || path.startsWith(d + '/')) return !this.hiddenEtc().some((h) => path === h || path.startsWith(h + '/'));
    }
    for (const l of USR_LINKS) {
      if (path.startsWith(`/${l}/`)) return this.usrLinks().some((x) => x.name === l && x.kind === 'link');
    }
    return false;
  }

  /**
   * The argv that runs `command` isolated as `view` says (`command` is run as is with
   * XBUILD_SANDBOX=none, apart from a new network namespace when root and no network).
   */
  wrap(view: SandboxView, command: readonly string[]): string[] {
    if (this.mode === 'none') return this.asRoot && !view.network ? [UNSHARE, '--net', '--', ...command] : [...command];
    if (view.uidRange) {
      if (!this.asRoot) throw new SandboxError('this action needs a uid range (it unpacks a root filesystem): run xbuild as root');
      if (!this.hasUidRange) {
        const last = this.sandboxUid + UID_RANGE - 1;
        throw new SandboxError('this action needs a uid range (it unpacks a root filesystem), and root has none in /etc/subuid and /etc/subgid: '
          + `run scripts/setup.sh, or: usermod --add-subuids ${this.sandboxUid}-${last} --add-subgids ${this.sandboxUid}-${last} root`);
      }
    }
    // As root, bwrap sets the view up with root's access to the host's paths (a cache under
    // /root is not searchable by the sandbox uid), then setpriv drops to the sandbox uid for
    // good (no capabilities, an empty bounding set, no_new_privs); the mounts, made in the
    // initial user namespace, cannot be undone from inside. As a normal user, bwrap's own
    // user namespace.
    // A uid range: unshare maps root..65535 onto the range (newuidmap) and bwrap, run as root
    // of that namespace, builds the view there, so that the command (root of it, with the
    // capabilities a root filesystem's tools need) may mount a proc and bind and remount parts
    // of its sandbox like an unprivileged mmdebstrap does. Its view's sources outside the
    // system paths (the sandbox, tools, the passwd file) may sit below directories only the
    // host's root can search: they are first bound, as root, at STAGE_DIR/N of a private mount
    // namespace (a tmpfs there), and bwrap binds them from there.
    const staged: string[] = [];
    const src = (path: string): string => {
      if (!view.uidRange) return path;
      staged.push(path);
      return `${STAGE_DIR}/${staged.length - 1}`;
    };
    const args: string[] = [BWRAP];
    if (!this.asRoot) args.push('--unshare-user');
    args.push('--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try');
    if (!view.network) args.push('--unshare-net');
    args.push('--die-with-parent', '--new-session', '--hostname', 'xbuild');
    args.push(...this.systemView(!!view.uidRange, src));
    if (view.uidRange) args.push('--ro-bind', '/sys', '/sys');
    const made = new Set<string>(['/']);
    const dirsFor = (path: string) => {
      const parts = path.split('/').filter(Boolean);
      for (let i = 1; i < parts.length; i++) {
        const d = '/' + parts.slice(0, i).join('/');
        if (made.has(d)) continue;
        made.add(d);
        args.push('--perms', '0755', '--dir', d);
      }
    };
    const bind = (kind: '--bind' | '--ro-bind', from: string, dest: string) => {
      dirsFor(dest);
      args.push(kind, src(from), dest);
    };
    bind('--bind', view.dir, view.at);
    for (const d of ['/var', '/tmp', '/var/tmp']) made.add(d);
    args.push('--perms', '1777', '--tmpfs', '/dev/shm', '--perms', '1777', '--tmpfs', '/tmp', '--perms', '0755', '--dir', '/var', '--perms', '1777', '--tmpfs', '/var/tmp');
    if (view.requestFile) bind('--ro-bind', view.requestFile, REQUEST_PATH);
    if (view.persistentDir) bind('--bind', view.persistentDir, PERSISTENT_PATH);
    if (view.unpacked) bind('--ro-bind', view.unpacked, UNPACKED_PATH);
    for (const p of view.readOnly ?? []) bind('--ro-bind', p, p);
    if (this.testSharedDir) bind('--bind', this.testSharedDir, this.testSharedDir);
    args.push('--remount-ro', '/', '--chdir', view.chdir);
    if (!view.uidRange) {
      args.push('--');
      if (this.asRoot) args.push(SETPRIV, `--reuid=${this.sandboxUid}`, `--regid=${this.sandboxUid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--');
      return [...args, ...command];
    }
    const map = `${this.sandboxUid},0,${UID_RANGE}`;
    return [
      UNSHARE, '--mount', '--propagation', 'private', '--', '/bin/sh', '-c', STAGE_SCRIPT, 'xbuild-stage', ...staged, '--',
      UNSHARE, '--user', `--map-users=${map}`, `--map-groups=${map}`, '--setuid', '0', '--setgid', '0', '--',
      ...args, '--', ...command,
    ];
  }

  /** The read-only system part of every view (computed once, except with staged sources). */
  private systemView(staged: boolean, src: (path: string) => string): string[] {
    if (!this.fixedArgs || staged) {
      const a: string[] = ['--ro-bind', '/usr', '/usr'];
      for (const l of this.usrLinks()) a.push(...(l.kind === 'link' ? ['--symlink', l.target, `/${l.name}`] : ['--ro-bind', `/${l.name}`, `/${l.name}`]));
      a.push('--ro-bind', '/etc', '/etc');
      for (const h of this.hiddenEtc()) {
        let dir = false;
        try {
          dir = lstatSync(h).isDirectory();
        } catch { continue; }
        a.push(...(dir ? ['--tmpfs', h, '--remount-ro', h] : ['--ro-bind', '/dev/null', h]));
      }
      const rt = this.runtimeDir();
      a.push('--ro-bind', src(join(rt, 'passwd')), '/etc/passwd', '--ro-bind', src(join(rt, 'group')), '/etc/group');
      a.push('--proc', '/proc', '--dev', '/dev');
      if (staged) return a;
      this.fixedArgs = a;
    }
    return this.fixedArgs;
  }

  private links?: { name: string; kind: 'link' | 'dir'; target: string }[];
  private usrLinks(): { name: string; kind: 'link' | 'dir'; target: string }[] {
    if (!this.links) {
      this.links = [];
      for (const name of USR_LINKS) {
        try {
          const st = lstatSync(`/${name}`);
          if (st.isSymbolicLink()) this.links.push({ name, kind: 'link', target: readlinkSync(`/${name}`) });
          else if (st.isDirectory()) this.links.push({ name, kind: 'dir', target: '' });
        } catch { /* absent */ }
      }
    }
    return this.links;
  }

  private hidden?: string[];
  private hiddenEtc(): string[] {
    this.hidden ??= HIDDEN_ETC.map((h) => `/etc/${h}`).filter((h) => {
      try {
        lstatSync(h);
        return true;
      } catch {
        return false;
      }
    });
    return this.hidden;
  }

  /**
   * This process's directory for worker request files and the sandbox's passwd and group files
   * (tmpfs when available); the directories of dead processes are swept.
   */
  runtimeDir(): string {
    if (this.runtime) return this.runtime;
    let parent = tmpdir();
    try {
      accessSync('/dev/shm', constants.W_OK);
      if (statSync('/dev/shm').isDirectory()) parent = '/dev/shm';
    } catch { /* not writable: the temporary directory */ }
    removeLeftovers(parent, /^xbuild-requests-(\d+)$/);
    const dir = join(parent, `xbuild-requests-${process.pid}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const u = this.sandboxUid;
    writeFileSync(join(dir, 'passwd'), `root:x:0:0:root:/root:/bin/sh\nxbuild:x:${u}:${u}:xbuild sandbox:${SANDBOX_PATH}/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`, { mode: 0o644 });
    writeFileSync(join(dir, 'group'), `root:x:0:\nxbuild:x:${u}:\nnogroup:x:65534:\n`, { mode: 0o644 });
    this.runtime = dir;
    return dir;
  }

  /** Removes this process's runtime directory (at the end of a build). */
  close(): void {
    if (this.runtime) rmSync(this.runtime, { recursive: true, force: true });
    this.runtime = undefined;
    this.fixedArgs = undefined;
  }
}

/** A command cannot be sandboxed as asked (the environment's fault, or the action's declaration). */
export class SandboxError extends Error {}

let shared: Isolation | undefined;
/** The isolation of this process (read from the environment on first use). */
export function isolation(): Isolation {
  shared ??= new Isolation();
  return shared;
}

/** The first range of `user` in /etc/subuid that /etc/subgid also has, or undefined. */
function subordinateRange(user: string): { start: number; count: number } | undefined {
  const ranges = (file: string) => {
    try {
      return readFileSync(file, 'utf8').split('\n').map((l) => l.trim().split(':')).filter((f) => f.length === 3 && f[0] === user)
        .map(([, s, c]) => ({ start: Number(s), count: Number(c) })).filter((r) => Number.isSafeInteger(r.start) && r.start > 0 && r.count > 0);
    } catch {
      return [];
    }
  };
  const gids = ranges('/etc/subgid');
  return ranges('/etc/subuid').find((u) => gids.some((g) => g.start === u.start && g.count >= u.count));
}
