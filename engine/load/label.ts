/**
 * Labels and target patterns.
 *
 *   //pkg/path:name   a target in package `pkg/path`
 *   //pkg/path        shorthand for //pkg/path:path (the last path component)
 *   //:name           a target in the root package
 *   :name             a target in the current package (only where a package is known)
 *   //...  //pkg/...  every target below a package;  //pkg:all, //pkg:*  every target of one package
 *
 * Invariant: a `LabelString` is always canonical (`//pkg:name`); only `parseLabel` makes one.
 */
export type LabelString = string & { readonly __brand: 'LabelString' };

/** A parsed, canonical label. */
export interface Label {
  readonly pkg: string;
  readonly name: string;
  readonly str: LabelString;
}

export type Pattern =
  | { readonly kind: 'target'; readonly label: Label }
  | { readonly kind: 'package'; readonly pkg: string } // //pkg:all
  | { readonly kind: 'recursive'; readonly pkg: string }; // //pkg/...

export class LabelError extends Error {
  constructor(readonly input: string, readonly why: string) {
    super(`malformed label "${input}": ${why}`);
  }
}

const PKG_SEGMENT = /^[A-Za-z0-9_.+@=-]+$/;
const NAME_RE = /^[A-Za-z0-9_.+@=,~%^#$&()[\]{}-][A-Za-z0-9_.+@=,~%^#$&()[\]{}/-]*$/;

function checkPackage(input: string, pkg: string): void {
  if (pkg === '') return;
  if (pkg.startsWith('/') || pkg.endsWith('/')) throw new LabelError(input, 'package path must not start or end with "/"');
  for (const seg of pkg.split('/')) {
    if (seg === '') throw new LabelError(input, 'package path has an empty component ("//")');
    if (seg === '.' || seg === '..') throw new LabelError(input, `package path must not contain "${seg}"`);
    if (!PKG_SEGMENT.test(seg)) throw new LabelError(input, `package component "${seg}" has a character outside [A-Za-z0-9_.+@=-]`);
  }
}

function checkName(input: string, name: string): void {
  if (name === '') throw new LabelError(input, 'target name is empty');
  if (!NAME_RE.test(name)) throw new LabelError(input, `target name "${name}" has a character that is not allowed`);
  for (const seg of name.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') throw new LabelError(input, `target name must not contain "${seg || '//'}" segments`);
  }
}

export function makeLabel(pkg: string, name: string): Label {
  return { pkg, name, str: `//${pkg}:${name}` as LabelString };
}

/**
 * Parses a label. `currentPkg` resolves `:name` and bare `name`; without it only absolute
 * labels are accepted. Throws LabelError saying what is wrong.
 */
export function parseLabel(input: string, currentPkg?: string): Label {
  // A distribution's BUILD files name the same labels hundreds of thousands of times (every
  // package build lists the .debs it installs): each (package, text) is checked once.
  const key = input.startsWith('//') ? input : `${currentPkg ?? ''}\n${input}`;
  const known = parsed.get(key);
  if (known) return known;
  const label = Object.freeze(parseUncached(input, currentPkg));
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(key, label);
  return label;
}
const parsed = new Map<string, Label>();
const PARSED_MAX = 200_000;

function parseUncached(input: string, currentPkg?: string): Label {
  const s = input.trim();
  if (s !== input) throw new LabelError(input, 'labels must not have surrounding spaces');
  if (s.startsWith('@')) throw new LabelError(input, 'external repositories (@repo) are not supported');
  if (s.startsWith('//')) {
    const rest = s.slice(2);
    const colon = rest.indexOf(':');
    if (colon < 0) {
      checkPackage(input, rest);
      if (rest === '') throw new LabelError(input, 'the root package needs an explicit name: //:name');
      if (rest.endsWith('...')) throw new LabelError(input, 'this is a pattern, not a label');
      return makeLabel(rest, rest.slice(rest.lastIndexOf('/') + 1));
    }
    const pkg = rest.slice(0, colon);
    const name = rest.slice(colon + 1);
    if (name.includes(':')) throw new LabelError(input, 'a label has at most one ":"');
    checkPackage(input, pkg);
    checkName(input, name);
    return makeLabel(pkg, name);
  }
  if (currentPkg === undefined) throw new LabelError(input, 'expected an absolute label starting with "//"');
  const name = s.startsWith(':') ? s.slice(1) : s;
  if (name.includes(':')) throw new LabelError(input, 'a label has at most one ":"');
  checkName(input, name);
  return makeLabel(currentPkg, name);
}

/** Parses a command-line target pattern. */
export function parsePattern(input: string): Pattern {
  let s = input;
  if (!s.startsWith('//')) {
    if (s.startsWith(':')) throw new LabelError(input, 'patterns on the command line must be absolute (//pkg:name)');
    s = `//${s}`; // `xbuild build examples/hello:hello` is accepted, as Bazel does
  }
  if (s === '//...') return { kind: 'recursive', pkg: '' };
  if (s.endsWith('/...')) {
    const pkg = s.slice(2, -4);
    checkPackage(input, pkg);
    return { kind: 'recursive', pkg };
  }
  const m = /^\/\/([^:]*):(all|\*)$/.exec(s);
  if (m) {
    checkPackage(input, m[1]);
    return { kind: 'package', pkg: m[1] };
  }
  return { kind: 'target', label: parseLabel(s) };
}

export function isLabelLike(s: string): boolean {
  return s.startsWith('//') || s.startsWith(':');
}
