/**
 * The closure of a binary over Depends: every binary installing it installs, itself included.
 * Shared by the lock tool (lock/bootstrap.ts, the source graph it writes) and the BUILD side
 * (packages/universe/universeGraph.ts, the build plan), so both read the universe the same way.
 * No imports: BUILD files load it in the build realm.
 */
export interface DependsOf {
  readonly [binary: string]: { readonly deps: readonly string[] } | undefined;
}

/** A memoised closure function over `binaries`; names not in it end the walk (outside the universe). */
export function dependsClosure(binaries: DependsOf): (binary: string) => readonly string[] {
  const known = new Map<string, readonly string[]>();
  return (binary) => {
    const cached = known.get(binary);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [binary];
    while (stack.length) {
      const x = stack.pop()!;
      const entry = binaries[x];
      if (seen.has(x) || !entry) continue;
      seen.add(x);
      stack.push(...entry.deps);
    }
    const closure = [...seen];
    known.set(binary, closure);
    return closure;
  };
}
