/**
 * The kernel target through the real CLI, on a temporary copy of the workspace's kernel/ package:
 * a patch that does not apply fails naming the patch and the hunk; a config fragment asking for
 * an option Kconfig drops (the CFI JIT allowlist in a cfi-compat kernel; BTI on kernel text in a
 * GCC-built arm64 kernel) fails naming the fragment, line and option. All stop before make, so
 * each kernel target costs one source extraction (~20-60 s) and a kconfig build, not a kernel
 * build. A linux-source pin whose bytes are not the archive's fails in its fetch, before any
 * kernel work.
 *
 * Slow (e2e): outside the default suite; scripts/e2e-kernel-iso.sh runs it (step 8) with its own config.
 * Needs: bc flex bison libelf-dev libssl-dev rsync (scripts/setup.sh), gcc-12-aarch64-linux-gnu
 * and binutils-aarch64-linux-gnu (arm64's Kconfig asks the cross compiler), the archive (the
 * source is a pinned fetch of linux-source-6.1), `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, TempWorkspace } from '../helpers/cli.js';

describe('kernel_image through xbuild', () => {
  let ws: TempWorkspace;
  beforeAll(() => {
    ws = new TempWorkspace({ 'BUILD.ts': '// root\n' });
    cpSync(join(REPO, 'kernel'), join(ws.root, 'kernel'), { recursive: true });
    cpSync(join(REPO, 'packages'), join(ws.root, 'packages'), { recursive: true, filter: (p) => !/xbuild-out|\.xbuild/.test(p) });
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

  it('fails naming the fragment line when an aarch64 kernel asks for BTI on kernel text (GCC cannot)', async () => {
    const frag = join(ws.root, 'kernel/configs/aarch64-cfi-compat.config');
    const good = readFileSync(frag, 'utf8');
    // Linux 6.1 makes ARM64_BTI_KERNEL depend on !CC_IS_GCC: Kconfig drops it, the check names it.
    const bad = `${good}CONFIG_ARM64_BTI_KERNEL=y\n`;
    const line = bad.split('\n').indexOf('CONFIG_ARM64_BTI_KERNEL=y') + 1;
    writeFileSync(frag, bad);
    try {
      const r = await ws.build('//kernel:aarch64-cfi-compat');
      const out = r.stdout + r.stderr;
      expect(r.code).not.toBe(0);
      expect(r.failed).toEqual(['//kernel:aarch64-cfi-compat']);
      expect(out).toContain(`kernel/configs/aarch64-cfi-compat.config:${line}: CONFIG_ARM64_BTI_KERNEL: asked for 'CONFIG_ARM64_BTI_KERNEL=y', the merged .config has '<absent: dependencies not met>'`);
      expect(out).toContain('kernel config for aarch64-cfi-compat does not have the options its fragments ask for');
    } finally {
      writeFileSync(frag, good);
    }
  }, 600_000);

  it('refuses linux-source bytes that are not the pinned ones, in the fetch', async () => {
    const lockJson = join(ws.root, 'packages/debian.lock.json');
    const good = readFileSync(lockJson, 'utf8');
    const pinned = (JSON.parse(good) as { inputs: Record<string, { sha256: string }> }).inputs['linux-source-6.1'].sha256;
    writeFileSync(lockJson, good.replace(pinned, '0'.repeat(64)));
    try {
      const r = await ws.build('//kernel:x86_64-base');
      expect(r.code).not.toBe(0);
      expect(r.failed).toEqual(['//kernel:linux-source']);
      expect(r.stdout + r.stderr).toContain(`SHA-256 mismatch: expected ${'0'.repeat(64)}`);
    } finally {
      writeFileSync(lockJson, good);
    }
  }, 600_000);
});
