// Debian architecture names and wildcards (lock/debRelations.ts archMatches), as
// dpkg-architecture(1) matches them: a Package-List's `arch=gnu-any-any` (libxcrypt's libcrypt1)
// is built on amd64, `musl-any-any` is not.
import { describe, expect, it } from 'vitest';
import { archMatches, parseRelations } from '../../lock/debRelations.js';

describe('archMatches', () => {
  it('matches names and tuple wildcards of a glibc Linux arch', () => {
    for (const p of ['any', 'amd64', 'linux-any', 'any-amd64', 'linux-amd64', 'gnu-any-any', 'gnu-linux-any', 'any-any-amd64', 'base-gnu-linux-amd64', 'any-any-any-any']) {
      expect(archMatches(p, 'amd64'), p).toBe(true);
    }
    for (const p of ['arm64', 'any-arm64', 'musl-any-any', 'kfreebsd-any', 'hurd-any', 'musl-linux-amd64', 'x32', 'any-any-any-any-any', 'linux']) {
      expect(archMatches(p, 'amd64'), p).toBe(false);
    }
    expect(archMatches('any-arm64', 'arm64')).toBe(true);
  });

  it('keeps a relation by its architecture list', () => {
    const names = (f: string) => parseRelations(f, 'amd64', new Set()).map((c) => c.alternatives.map((a) => a.name).join('|'));
    expect(names('a [gnu-any-any], b [musl-any-any], c [!musl-any-any], d [!linux-any]')).toEqual(['a', 'c']);
  });
});
