import { describe, expect, it } from 'vitest';
import { parseLabel, parsePattern } from '../../engine/load/label.js';

describe('labels', () => {
  it('parses absolute, relative and shorthand labels to canonical form', () => {
    expect(parseLabel('//pkg/path:name').str).toBe('//pkg/path:name');
    expect(parseLabel('//pkg/path').str).toBe('//pkg/path:path');
    expect(parseLabel('//:root').str).toBe('//:root');
    expect(parseLabel(':x', 'a/b').str).toBe('//a/b:x');
    expect(parseLabel('x', 'a/b').str).toBe('//a/b:x');
    expect(parseLabel('//p:sub/file.c').name).toBe('sub/file.c');
  });

  it('rejects malformed labels saying what is wrong', () => {
    const why = (s: string, pkg?: string) => {
      try {
        parseLabel(s, pkg);
        return 'accepted';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(why('//a//b:c')).toContain('empty component');
    expect(why('//a/../b:c')).toContain('must not contain ".."');
    expect(why('//a:b:c')).toContain('at most one ":"');
    expect(why('//a:')).toContain('target name is empty');
    expect(why('//a b:c')).toContain('outside [A-Za-z0-9_.+@=-]');
    expect(why(':x')).toContain('expected an absolute label');
    expect(why('//')).toContain('root package needs an explicit name');
    expect(why('//p:a/../b')).toContain('must not contain ".."');
  });

  it('parses patterns', () => {
    expect(parsePattern('//...')).toEqual({ kind: 'recursive', pkg: '' });
    expect(parsePattern('//a/b/...')).toEqual({ kind: 'recursive', pkg: 'a/b' });
    expect(parsePattern('//a:all')).toEqual({ kind: 'package', pkg: 'a' });
    expect(parsePattern('//a:*')).toEqual({ kind: 'package', pkg: 'a' });
    expect(parsePattern('a:x')).toMatchObject({ kind: 'target', label: { str: '//a:x' } });
  });
});
