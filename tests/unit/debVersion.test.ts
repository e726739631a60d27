/** Debian version ordering against dpkg itself (`dpkg --compare-versions`), on versions taken from the archive's shapes. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareDebVersions } from '../../lock/debVersion.js';

const VERSIONS = [
  '1.0', '1.0-1', '1.0-1+deb12u1', '1.0-1+b1', '1.0-1~bpo12+1', '1.0~rc1', '1.0~rc1-1', '1.0+dfsg-1', '1.0.1', '1.00', '1:0.9',
  '2:1.0', '1.2.13.dfsg-1', '1:1.2.13.dfsg-1', '1:1.2.13.dfsg-1+deb12u1', '1:1.2.13.dfsg-1+xsc1', '1:1.2.13.dfsg-1+deb12u1+xsc1',
  '6.1.192-2', '6.1.192-3', '6.1.176-1', '6.1.90-1', '2.36-9+deb12u14', '2.36-9+deb12u9', '2.36-9+deb12u10', '0.5.12-2',
  '1.35.0-4+deb12u1+b1', '1.35.0-4+deb12u1', '1.35.0-4', 'a', 'a~', '~', '', '1.0a', '1.0+', '1.0.', '1.0-0', '9', '10', '1.0-a', '1.0-~',
];

describe('compareDebVersions', () => {
  it('orders every pair as dpkg --compare-versions does', () => {
    const pairs: [string, string][] = [];
    for (const a of VERSIONS) for (const b of VERSIONS) if (a !== '' && b !== '') pairs.push([a, b]);
    // One dpkg call per pair is slow; a shell loop runs them all in one process tree.
    const script = pairs.map(([a, b]) => `dpkg --compare-versions '${a}' lt '${b}' && echo lt || { dpkg --compare-versions '${a}' eq '${b}' && echo eq || echo gt; }`).join('\n');
    const dpkg = execFileSync('/bin/sh', [], { input: script, encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'], maxBuffer: 1 << 24 }).trim().split('\n');
    const ours = pairs.map(([a, b]) => {
      const c = compareDebVersions(a, b);
      return c < 0 ? 'lt' : c === 0 ? 'eq' : 'gt';
    });
    const wrong = pairs.flatMap(([a, b], i) => (ours[i] === dpkg[i] ? [] : [`${a} vs ${b}: dpkg ${dpkg[i]}, ours ${ours[i]}`]));
    expect(wrong).toEqual([]);
  });
});
