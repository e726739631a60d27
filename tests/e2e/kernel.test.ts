/**
 * The kernel target through the real CLI, on a temporary copy of the workspace's kernel/ package:
 * a patch that does not apply fails naming the patch and the hunk; a config fragment asking for
 * an option Kconfig drops (the CFI JIT allowlist in a cfi-compat kernel) fails naming the
 * fragment, line and option. Both stop before make, so the test costs one tarball extraction
 * (~20 s) and a kconfig build, not a kernel build.
 *
 * Slow (e2e): outside the default suite; scripts/e2e-kernel-iso.sh runs it (step 8) with its own config.
 * Needs: linux-source-6.1 bc flex bison libelf-dev libssl-dev rsync (see README), `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, TempWorkspace } from '../helpers/cli.js';

const TARBALL = '/usr/src/linux-source-6.1.tar.xz';

describe.runIf(existsSync(TARBALL))('kernel_image through xbuild', () => {
  let ws: TempWorkspace;
  beforeAll(() => {
    ws = new TempWorkspace({ 'BUILD.ts': '// root\n' });
    cpSync(join(REPO, 'kernel'), join(ws.root, 'kernel'), { recursive: true });
  });
  afterAll(() => ws.cleanup());

  it('fails naming the patch and the hunk when a patch does not apply', async () => {
    const patch = join(ws.root, 'kernel/patches/0001-xsc-variant-boot-banner.patch');
    const good = readFileSync(patch, 'utf8');
    // Change one context line: with --fuzz=0 the hunk must fail.
    const broken = good.replace(/^ \tpage_address_init\(\);$/m, ' \tpage_address_init_renamed();');
    expect(broken).not.toBe(good);
    writeFileSync(patch, broken);
    try {
      const r = await ws.build('//kernel:x86_64-base');
      const out = r.stdout + r.stderr;
      expect(r.code).not.toBe(0);
      expect(r.failed).toEqual(['//kernel:x86_64-base']);
      expect(out).toContain('kernel patch 0001-xsc-variant-boot-banner.patch (series line 2) does not apply');
      expect(out).toMatch(/init\/main\.c: Hunk #1 FAILED at \d+/);
    } finally {
      writeFileSync(patch, good);
    }
  }, 600_000);

  it('fails naming fragment, line and option when Kconfig drops a requested option', async () => {
    const frag = join(ws.root, 'kernel/configs/cfi-compat.config');
    const good = readFileSync(frag, 'utf8');
    // Only base may carry the allowlist: Kconfig makes it depend on !X86_KERNEL_IBT.
    const bad = good.replace('# CONFIG_CFI_JIT_ALLOWLIST is not set', 'CONFIG_CFI_JIT_ALLOWLIST=y');
    expect(bad).not.toBe(good);
    const line = bad.split('\n').indexOf('CONFIG_CFI_JIT_ALLOWLIST=y') + 1;
    writeFileSync(frag, bad);
    try {
      const r = await ws.build('//kernel:x86_64-cfi-compat');
      const out = r.stdout + r.stderr;
      expect(r.code).not.toBe(0);
      expect(out).toContain(`kernel/configs/cfi-compat.config:${line}: CONFIG_CFI_JIT_ALLOWLIST: asked for 'CONFIG_CFI_JIT_ALLOWLIST=y'`);
      expect(out).toContain('does not have the options its fragments ask for');
    } finally {
      writeFileSync(frag, good);
    }
  }, 600_000);

  it('refuses a tarball that is not the pinned one', async () => {
    const build = join(ws.root, 'kernel/BUILD.ts');
    const good = readFileSync(build, 'utf8');
    writeFileSync(build, good.replace(/const LINUX_SOURCE_SHA256 = "[0-9a-f]{64}"/, `const LINUX_SOURCE_SHA256 = "${'0'.repeat(64)}"`));
    try {
      const r = await ws.build('//kernel:x86_64-base');
      expect(r.code).not.toBe(0);
      expect(r.stdout + r.stderr).toContain(`the workspace pins ${'0'.repeat(64)}`);
    } finally {
      writeFileSync(build, good);
    }
  }, 600_000);
});
