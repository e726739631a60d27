// Secret signing keys: created readable by their owner only, refused when others can read
// them, and never handed to anything xbuild spawns.
import { afterEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TempWorkspace, XBUILD } from '../helpers/cli.js';

let ws: TempWorkspace;
afterEach(() => ws?.cleanup());

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe('secret keys', () => {
  it('key generate > FILE leaves FILE readable by its owner only', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    const file = join(ws.scratch, 'k.secret');
    const r = await execa('sh', ['-c', `umask 022; node ${XBUILD} key generate --name k1 > ${file}`], { reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(mode(file)).toBe('600');
    expect(readFileSync(file, 'utf8')).toMatch(/^k1:[A-Za-z0-9+/=]+\n$/);
    expect(String(r.stderr)).toContain('made it readable by you only');
  });

  it('key generate -o FILE creates it 0600 whatever the umask, and never overwrites a key', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '' });
    const file = join(ws.scratch, 'k.secret');
    const r = await execa('sh', ['-c', `umask 000; node ${XBUILD} key generate --name k1 -o ${file}`], { reject: false });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toBe('');
    expect(mode(file)).toBe('600');
    const first = readFileSync(file, 'utf8');
    const again = await execa('node', [XBUILD, 'key', 'generate', '--name', 'k2', '-o', file], { reject: false });
    expect(again.exitCode).toBe(2);
    expect(String(again.stderr)).toContain('never overwritten');
    expect(readFileSync(file, 'utf8')).toBe(first);
  });

  it('--sign-with refuses a key file group or others can read (exit 2, says chmod 600)', async () => {
    ws = new TempWorkspace({ 'BUILD.ts': '', 'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "a", outs: ["a.out"], cmd: "echo a > $@" });\n' });
    const file = join(ws.scratch, 'k.secret');
    expect((await execa('node', [XBUILD, 'key', 'generate', '--name', 'k1', '-o', file])).exitCode).toBe(0);
    chmodSync(file, 0o644);
    const r = await ws.build('//p:a', '--remote-cache=http://127.0.0.1:9/c', `--sign-with=${file}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`run: chmod 600 ${file}`);
    const ex = await ws.run(['cache', 'export', '//p:a', '-o', join(ws.scratch, 'c.tar'), `--sign-with=${file}`]);
    expect(ex.code).toBe(2);
    expect(ex.stderr).toContain('readable by group or others');
  });

  it('the secret never reaches the environment or argv of an action', async () => {
    ws = new TempWorkspace({
      'BUILD.ts': '',
      'p/BUILD.ts': 'import { cmd } from "xbuild";\ncmd({ name: "spy", srcs: ["spy.sh"], outs: ["spy.txt"], cmd: "bash $< $@" });\n',
      // Its own environment and argv, and those of its ancestors (the worker shell, xbuild itself).
      'p/spy.sh': `out="$1"
{ env; echo "argv: $0 $*"; p=$PPID; for i in 1 2 3 4 5; do [ "$p" -gt 1 ] || break; tr '\\0' ' ' < /proc/$p/cmdline; echo; tr '\\0' '\\n' < /proc/$p/environ; p=$(awk '{print $4}' /proc/$p/stat); done; } > "$out" 2>/dev/null
true
`,
    });
    const file = join(ws.scratch, 'k.secret');
    expect((await execa('node', [XBUILD, 'key', 'generate', '--name', 'k1', '-o', file])).exitCode).toBe(0);
    const secret = readFileSync(file, 'utf8').trim().split(':')[1];
    // A server that refuses connections: the build degrades to local and still signs nothing out.
    // Without the sandbox the spy reaches xbuild's own process (its argv holds the key's path,
    // never the key); in the sandbox (its own PID namespace) no process of the host is visible.
    for (const sandbox of ['none', 'default'] as const) {
      ws.write({ 'p/spy.sh': ws.read('p/spy.sh') + `# ${sandbox}\n` });
      const r = await ws.run(['build', '//p:spy', '--remote-cache=http://127.0.0.1:9/c', `--sign-with=${file}`], sandbox === 'none' ? { XBUILD_SANDBOX: 'none' } : {});
      expect(r.code, r.stderr).toBe(0);
      const seen = ws.read('xbuild-out/p/spy.txt');
      expect(seen).toContain('PATH=');
      if (sandbox === 'none') expect(seen).toContain('--sign-with='); // xbuild's own argv was seen: the path, not the key
      else expect(seen).not.toContain('--sign-with='); // xbuild's process is outside the action's PID namespace
      expect(seen).not.toContain(secret);
      expect(seen).not.toContain(secret.slice(0, 32));
    }
  });
});
