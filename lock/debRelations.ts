/**
 * Debian relationship fields (Depends, Build-Depends, ...) as deb-src-control(5) and the build
 * profile spec define them:
 *
 *   field    := clause (',' clause)*            every clause must hold
 *   clause   := alt ('|' alt)*                  any alternative satisfies it
 *   alt      := name[':' qual] ['(' op version ')'] ['[' arch... ']'] ('<' term... '>')*
 *
 * An architecture list keeps the alternative on the listed architectures (`[amd64 linux-any]`)
 * or on all but the negated ones (`[!hurd-any]`). Restriction lists (`<!nocheck> <stage1>`) keep
 * it when any one list holds, a list holding when each of its terms does (`!p`: profile p is
 * not active, `p`: it is). An alternative whose restrictions do not hold is dropped; a clause
 * with no alternative left is dropped.
 *
 * Versions are kept but not compared: the lock resolves within one suite, where each package
 * has the one version apt would pick.
 */

/** One alternative of a clause, after architecture and profile restrictions. */
export interface DebRelation {
  readonly name: string;
  /** `any` or `native` (or an architecture name), from `name:qual`. */
  readonly qualifier?: string;
  /** `>= 1.2` etc., as written. */
  readonly version?: string;
}

/** A clause that holds under the given profiles, and which other profiles would drop it. */
export interface DebClause {
  readonly alternatives: readonly DebRelation[];
  /**
   * Profiles not active now whose activation alone would drop the whole clause (e.g. `stage1`
   * for `libfoo-dev <!stage1>`): how Debian's own bootstrap breaks a dependency.
   */
  readonly droppedBy: readonly string[];
}

const ALT = /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*([<>=]{1,2})\s*([^)\s]+)\s*\))?\s*(?:\[([^\]]*)\])?\s*((?:<[^>]*>\s*)*)$/;

/**
 * Does a Debian architecture name or wildcard match `arch` (a glibc Linux one: amd64, arm64)?
 * As dpkg-architecture(1): `any`, the name itself, or a tuple `[[abi-]libc-]os-cpu` each part
 * `any` or equal to the arch's (amd64 is base-gnu-linux-amd64): `linux-any`, `any-amd64`,
 * `gnu-any-any` (libxcrypt's libcrypt1) match amd64; `musl-any-any` does not.
 */
export function archMatches(pattern: string, arch: string): boolean {
  if (pattern === 'any' || pattern === arch) return true;
  const parts = pattern.split('-');
  if (parts.length < 2 || parts.length > 4) return false;
  const tuple = ['base', 'gnu', 'linux', arch].slice(4 - parts.length);
  return parts.every((p, i) => p === 'any' || p === tuple[i]);
}

function restrictionsHold(lists: readonly string[][], active: ReadonlySet<string>): boolean {
  if (lists.length === 0) return true;
  return lists.some((terms) => terms.every((t) => (t.startsWith('!') ? !active.has(t.slice(1)) : active.has(t))));
}

/**
 * The clauses of a relationship field that hold on `arch` with the `active` profiles.
 * Unparseable alternatives are reported through `bad` (and dropped).
 */
export function parseRelations(field: string | undefined, arch: string, active: ReadonlySet<string>, bad?: (text: string) => void): DebClause[] {
  const out: DebClause[] = [];
  if (!field) return out;
  for (const clauseText of field.split(',')) {
    const trimmed = clauseText.trim();
    if (!trimmed) continue;
    const kept: { rel: DebRelation; lists: string[][] }[] = [];
    const negatedProfiles = new Set<string>();
    for (const altText of trimmed.split('|')) {
      const m = ALT.exec(altText.trim().replace(/\s+/g, ' '));
      if (!m) {
        bad?.(altText.trim());
        continue;
      }
      const [, name, qualifier, op, version, archList, restrictions] = m;
      if (archList) {
        const archs = archList.trim().split(/\s+/);
        const negated = archs[0].startsWith('!');
        const hit = archs.some((a) => archMatches(negated ? a.slice(1) : a, arch));
        if (negated ? hit : !hit) continue;
      }
      const lists = [...(restrictions ?? '').matchAll(/<([^>]*)>/g)].map((r) => r[1].trim().split(/\s+/).filter(Boolean));
      for (const t of lists.flat()) if (t.startsWith('!') && !active.has(t.slice(1))) negatedProfiles.add(t.slice(1));
      if (!restrictionsHold(lists, active)) continue;
      kept.push({ rel: { name, ...(qualifier ? { qualifier } : {}), ...(op ? { version: `${op} ${version}` } : {}) }, lists });
    }
    if (kept.length === 0) continue;
    // A profile drops the clause if, with it active too, no alternative's restrictions hold.
    const droppedBy = [...negatedProfiles].filter((p) => {
      const withP = new Set([...active, p]);
      return kept.every((k) => !restrictionsHold(k.lists, withP));
    }).sort();
    out.push({ alternatives: kept.map((k) => k.rel), droppedBy });
  }
  return out;
}
