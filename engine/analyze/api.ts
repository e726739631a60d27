/**
 * The xbuild rule API: what rule authors and BUILD.ts files see.
 *
 *   defineRule({ name, attrs: { srcs: attr.labelList(), ... }, impl(ctx) { ctx.actions.run(...) } })
 *
 * returns a typed function that a BUILD.ts file calls to declare a target. BUILD files run in the
 * build realm (engine/load/buildRealm.ts), which has its own `defineRule`, `attr` and a stand-in for
 * each rule exported here; this module is what xbuild's own rules (rules/*.ts) are written with
 * and what `xbuild check` type-checks BUILD files against. Rule implementations run during analysis: they receive their
 * dependencies' `DepInfo` (files + providers) and declare actions; they never run commands.
 * Everything an implementation returns must be JSON-serialisable: analysis results are cached.
 */

/** A file or directory the build reads or makes. `path` is relative to the exec root. */
export interface Artifact {
  readonly path: string;
  readonly kind: 'file' | 'dir';
  /** true for workspace source files, false for outputs of actions (under xbuild-out/). */
  readonly source: boolean;
}

/** What a dependency gives the targets that use it. */
export interface DepInfo {
  readonly label: string;
  readonly files: readonly Artifact[];
  readonly providers: Readonly<Record<string, any>>;
}

/** What a rule implementation returns. */
export interface RuleResult {
  /** The target's default outputs (what `xbuild build` materialises). Default: every declared output. */
  readonly files?: readonly Artifact[];
  /** Named, JSON-serialisable values for dependents (e.g. ToolchainInfo). */
  readonly providers?: Readonly<Record<string, unknown>>;
}

/** A command to run. Keys are built from every field (see engine/key/actionKey.ts). */
export interface RunActionSpec {
  readonly argv: readonly string[];
  /** The only environment the command sees, beside HOME, TMPDIR, PATH, SOURCE_DATE_EPOCH, XBUILD_CPUS. */
  readonly env?: Readonly<Record<string, string>>;
  readonly inputs?: readonly Artifact[];
  readonly outputs: readonly Artifact[];
  /** Absolute host paths the command uses (compilers, scripts, source tarballs); digested into the key. */
  readonly tools?: readonly string[];
  /** CPU slots this action occupies (e.g. make -jN inside). Default 1. */
  readonly cpu?: number;
  /** Memory the action needs, in MiB, for --memory accounting. */
  readonly memoryMb?: number;
  readonly mnemonic?: string;
  readonly progress?: string;
  /** A named directory kept between runs, outside the key (incremental build trees). */
  readonly persistentDir?: string;
  /** Allow network access. Off by default: actions run in an empty network namespace. */
  readonly network?: boolean;
  /**
   * The command unpacks and enters a root filesystem (dpkg, tar and chroot chown files to many
   * owners): it runs as root of a user namespace mapping 65,536 uids to an unprivileged range of
   * the host (root only inside it), with the same view of the host as any action plus /sys.
   * Needs xbuild to run as root with a range for root in /etc/subuid (scripts/setup.sh). Default false.
   */
  readonly uidRange?: boolean;
  /**
   * One of `inputs`, a tarball (a root filesystem) that the engine unpacks once per content and
   * shows read-only at $XBUILD_UNPACKED, so that the command can lay a private overlay over it
   * (`mount -t overlay`) instead of unpacking it again. Needs `uidRange`. The tarball itself stays
   * an input: where the engine cannot offer the tree (XBUILD_SANDBOX=none), $XBUILD_UNPACKED is
   * unset and the command unpacks the tarball as before; its outputs must not depend on which.
   */
  readonly unpack?: Artifact;
  readonly sourceDateEpoch?: number;
  /**
   * How long the action is expected to take (ms) until one run records its real duration: the
   * scheduler's order and `--dry-run`'s forecast use it. Not part of the action key.
   */
  readonly estimateMs?: number;
}

export interface FetchActionSpec {
  readonly urls: readonly string[];
  readonly sha256: string;
  readonly output: Artifact;
}

/** The action factory handed to a rule implementation. */
export interface Actions {
  declareFile(name: string): Artifact;
  declareDirectory(name: string): Artifact;
  run(spec: RunActionSpec): void;
  /** A generated file with fixed content; no process runs. */
  write(name: string, content: string, opts?: { executable?: boolean }): Artifact;
  /** A fixed-output download pinned by SHA-256; the only action that may reach the network. */
  fetch(spec: FetchActionSpec): void;
}

export interface RuleContext<S extends AttrSchema> {
  readonly label: string;
  readonly name: string;
  readonly pkg: string;
  readonly attrs: ResolvedAttrs<S>;
  readonly actions: Actions;
  /** A source file of this package, by path relative to the package. */
  file(path: string): Artifact;
  /** Absolute path of a file shipped with xbuild's rules (e.g. "scripts/kernel/build.sh"); pass it in `tools`. */
  ruleFile(path: string): string;
}

// ---------------------------------------------------------------- attributes

export type AttrType =
  | 'string' | 'int' | 'bool' | 'stringList' | 'stringDict'
  | 'label' | 'labelList' | 'output' | 'outputList';

/** The declared type of one attribute. `In` is what BUILD.ts writes, `Out` what impl(ctx) sees. */
export interface AttrSpec<In, Out, Optional extends boolean> {
  readonly type: AttrType;
  readonly optional: Optional;
  readonly default?: In;
  readonly values?: readonly string[];
  readonly doc?: string;
  /** Phantom fields carrying the types; never set. */
  readonly __in?: In;
  readonly __out?: Out;
}

export type AnyAttrSpec = AttrSpec<any, any, boolean>;
export type AttrSchema = Readonly<Record<string, AnyAttrSpec>>;

type InOf<A> = A extends AttrSpec<infer I, any, any> ? I : never;
type OutOf<A> = A extends AttrSpec<any, infer O, any> ? O : never;
type RequiredKeys<S> = { [K in keyof S]: S[K] extends AttrSpec<any, any, false> ? K : never }[keyof S];
type OptionalKeys<S> = { [K in keyof S]: S[K] extends AttrSpec<any, any, false> ? never : K }[keyof S];

/** The arguments a BUILD.ts passes when declaring a target of a rule with schema S. */
export type TargetArgs<S extends AttrSchema> = { readonly name: string; readonly tags?: readonly string[] } & {
  readonly [K in RequiredKeys<S>]: InOf<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: InOf<S[K]> };

export type ResolvedAttrs<S extends AttrSchema> = { readonly [K in keyof S]: OutOf<S[K]> };

interface AttrOpts<T> { readonly doc?: string; readonly default?: T }

function spec<In, Out>(type: AttrType, opts?: AttrOpts<In> & { values?: readonly string[] }): any {
  return { type, optional: opts !== undefined && 'default' in opts, default: opts?.default, values: opts?.values, doc: opts?.doc };
}

type Spec<In, Out, O> = O extends { default: any } ? AttrSpec<In, Out, true> : AttrSpec<In, Out, false>;

/** Attribute constructors. Passing `{ default }` makes an attribute optional. */
export const attr = {
  string: <O extends AttrOpts<string> & { values?: readonly string[] }>(o?: O): Spec<string, string, O> => spec('string', o),
  int: <O extends AttrOpts<number>>(o?: O): Spec<number, number, O> => spec('int', o),
  bool: <O extends AttrOpts<boolean>>(o?: O): Spec<boolean, boolean, O> => spec('bool', o),
  stringList: <O extends AttrOpts<readonly string[]>>(o?: O): Spec<readonly string[], readonly string[], O> => spec('stringList', o),
  stringDict: <O extends AttrOpts<Readonly<Record<string, string>>>>(o?: O): Spec<Readonly<Record<string, string>>, Readonly<Record<string, string>>, O> => spec('stringDict', o),
  /** A dependency: a label (`//pkg:name`, `:name`) or a source file of the package. */
  label: <O extends AttrOpts<string | undefined>>(o?: O): Spec<string, DepInfo, O> => spec('label', o),
  labelList: <O extends AttrOpts<readonly string[]>>(o?: O): Spec<readonly string[], readonly DepInfo[], O> => spec('labelList', o),
  /** A file this target makes, named by the BUILD file. */
  output: <O extends AttrOpts<string>>(o?: O): Spec<string, Artifact, O> => spec('output', o),
  outputList: <O extends AttrOpts<readonly string[]>>(o?: O): Spec<readonly string[], readonly Artifact[], O> => spec('outputList', o),
};

export interface RuleSpec<S extends AttrSchema> {
  readonly name: string;
  readonly doc?: string;
  readonly attrs: S;
  readonly impl: (ctx: RuleContext<S>) => RuleResult | void;
}

/*
 * Rules as the engine keeps them. A built-in rule (rules/*.ts, xbuild's own code) runs its
 * implementation in the host; a rule a BUILD file defines (`defineRule` inside the build
 * realm) is known by its id there, and its implementation runs in the realm
 * (engine/load/buildRealm.ts). Both declare the same kind of attributes.
 */
interface RuleCommon {
  readonly name: string;
  readonly attrs: Readonly<Record<string, AnyAttrSpec>>;
}

/** A rule of xbuild's own rules/ (trusted code): `impl` runs in the host. */
export interface BuiltinRuleDef extends RuleCommon {
  readonly kind: 'builtin';
  readonly impl: (ctx: RuleContext<any>) => unknown;
}

/** A rule defined by a BUILD file: its implementation runs in the build realm. */
export interface UserRuleDef extends RuleCommon {
  readonly kind: 'user';
  /** The rule's id in the build realm of the loader that loaded it. */
  readonly realmId: number;
}

export type RuleDef = BuiltinRuleDef | UserRuleDef;

/** A rule as BUILD files see it: call it to declare a target. */
export type RuleFunction<S extends AttrSchema> = ((args: TargetArgs<S>) => void) & { readonly rule: BuiltinRuleDef };

/**
 * Declares a built-in rule. BUILD files call the build realm's stand-in for the returned
 * function; calling it in the host is a bug.
 */
export function defineRule<S extends AttrSchema>(ruleSpec: RuleSpec<S>): RuleFunction<S> {
  if (!/^[a-z][a-z0-9_]*$/.test(ruleSpec.name)) throw new Error(`rule name "${ruleSpec.name}" must be snake_case`);
  const def: BuiltinRuleDef = {
    kind: 'builtin',
    name: ruleSpec.name,
    attrs: ruleSpec.attrs as unknown as Record<string, AnyAttrSpec>,
    impl: ruleSpec.impl as unknown as BuiltinRuleDef['impl'],
  };
  const fn = () => {
    throw new Error(`rule ${def.name} declares targets from BUILD files, which run in the build realm; calling it in xbuild itself is a bug`);
  };
  return Object.assign(fn, { rule: def });
}
