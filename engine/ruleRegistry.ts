/**
 * Rules as the engine keeps them. A built-in rule (rules/*.ts, xbuild's own code) runs its
 * implementation in the host; a rule a BUILD file defines (`defineRule` inside the build
 * realm) is known by its id there, and its implementation runs in the realm
 * (engine/buildRealm.ts). Both declare the same kind of attributes.
 */
import type { AnyAttrSpec, RuleContext } from './api.js';

interface RuleCommon {
  readonly name: string;
  readonly attrs: Readonly<Record<string, AnyAttrSpec>>;
  /** Where the rule was defined (a stack for built-in rules, `file:line:col` for user rules). */
  readonly definedAt: string;
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
