/**
 * The seam between BUILD files calling rule functions and the loader collecting targets.
 * While a package's BUILD.ts is evaluated, the loader installs a DeclarationSink; a rule
 * function called at any other time is a user error ("rules can only be called while loading").
 */
import type { AnyAttrSpec, RuleContext } from './api.js';

/** A rule, as the engine keeps it. */
export interface RuleDef {
  readonly name: string;
  readonly attrs: Readonly<Record<string, AnyAttrSpec>>;
  readonly impl: (ctx: RuleContext<any>) => unknown;
  readonly definedAt: string;
}

export interface DeclarationSink {
  /** `site` is an Error created at the call, whose stack locates the declaration. */
  declare(rule: RuleDef, args: Record<string, unknown>, site: Error): void;
}

let sink: DeclarationSink | undefined;

export function currentDeclarationSink(): DeclarationSink {
  if (!sink) throw new Error('rule functions can only be called while a BUILD.ts file is being loaded');
  return sink;
}

export function withDeclarationSink<T>(s: DeclarationSink, f: () => T): T {
  const prev = sink;
  sink = s;
  try {
    return f();
  } finally {
    sink = prev;
  }
}
