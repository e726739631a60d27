/**
 * The fast path of loading: a BUILD.ts (or a workspace .ts file it imports) -> CommonJS for the
 * loader's vm, from a parse alone (`ts.createSourceFile`: no Program, checker, transformers,
 * printer or source map, which are most of what `ts.transpileModule` costs).
 *
 * One walk over the syntax tree, then one pass over the text:
 *  - TypeScript-only syntax is overwritten with spaces of the same length ("blanking", the
 *    technique of ts-blank-space), line breaks kept, so the JavaScript that is left sits at the
 *    line and column where the user wrote it. A removed statement or class member starts with
 *    `;` instead of a space so that the code around it cannot join across the gap.
 *  - ES module syntax becomes CommonJS on the same lines: `import {a} from "x"` ->
 *    `const {a} = require("x");`, `export const x = 1;` -> `const x = 1;exports.x = x;`.
 *  - A prelude on line 1 makes the code strict and marks it as an ES module, as tsc's does.
 *
 * What the loader relies on:
 *  - Line N of the output is line N of the input.
 *  - A line without rewritten module syntax keeps every column; `segments` says where the
 *    columns of the other lines came from (`SegmentMap`).
 *  - Running the output does what running transpileModule's CommonJS output does: the same
 *    modules are required in the same order (an import none of whose bindings is used as a
 *    value is dropped, as tsc drops it), the exports object gets the same keys in the same
 *    order with the same values and the same kind of property (value or getter).
 *  - Anything this cannot transform with those guarantees gives undefined (and a reason), and
 *    the caller uses transpileModule, which also reports syntax errors.
 *
 * One difference is deliberate: imported bindings are copied when the import runs
 * (`const {a} = require("x")`) where tsc reads `x_1.a` at each use. That differs only when the
 * module is still being evaluated (an import cycle), so `copiedImports` lists those modules and
 * the loader uses tsc's output instead when one of them is.
 *
 * Not sucrase or esbuild: on tests/unit/stripTypes.test.ts' corpus neither puts every runtime
 * error at tsc's file:line:col (sucrase 6 of 11, esbuild 4 of 11: their rewritten calls move
 * columns), sucrase runs 9 of 24 snippets differently (no-semicolon code among them), and
 * esbuild costs several times as much per file through its service process
 * (bench/keptLibraries, bench/RESULTS.md).
 */
import type * as TsApi from 'typescript';
import type { PositionMap } from './sourceMap.js';

type TS = typeof import('typescript');
type Node = TsApi.Node;

/** Bump when the output for some input changes: cached transpiled code carries it. */
export const STRIP_TYPES_VERSION = 1;

/**
 * A mapping anchor, all 0-based: [generatedLine, generatedColumn, originalLine, originalColumn].
 * From that generated column on (until the next anchor of the line), a column maps to the
 * original column plus the distance. Lines without anchors map to themselves.
 */
export type Segment = readonly [number, number, number, number];

/** The output of `stripTypes`: code for the loader's vm and where its columns came from. */
export interface StrippedModule {
  readonly code: string;
  /** Sorted by generated line, then column. */
  readonly segments: readonly Segment[];
  /** Specifiers of the imports whose bindings the code copies when the import runs (not live). */
  readonly copiedImports: readonly string[];
}

/** TypeScript -> CommonJS by blanking types, or undefined when only tsc can do it exactly. */
export function stripTypes(ts: TS, source: string, onFallback?: (reason: string) => void): StrippedModule | undefined {
  try {
    return new Stripper(ts, source).run();
  } catch (e) {
    if (!(e instanceof CannotStrip)) throw e;
    onFallback?.(e.reason);
    return undefined;
  }
}

/**
 * Segments as text: `line,column,originalLine,originalColumn` per segment, joined by `;` (how
 * a transpiled module keeps them, as a source map keeps its mappings: it is copied from the
 * analysis worker to the main thread and stored, and for 20,000 files the segments as arrays
 * of arrays cost about 0.3 s to copy where the text costs a tenth of that).
 */
export function segmentsText(segments: readonly Segment[]): string {
  return segments.map((s) => s.join(',')).join(';');
}

/** The segments of `segmentsText`. */
export function parseSegments(text: string): Segment[] {
  if (text === '') return [];
  return text.split(';').map((s) => {
    const [a, b, c, d] = s.split(',');
    return [Number(a), Number(b), Number(c), Number(d)] as const;
  });
}

/** Maps positions in stripTypes output back to the TypeScript (see `Segment`). */
export class SegmentMap implements PositionMap {
  private readonly byLine = new Map<number, Segment[]>();

  constructor(segments: readonly Segment[]) {
    for (const s of segments) {
      const line = this.byLine.get(s[0]);
      if (line) line.push(s);
      else this.byLine.set(s[0], [s]);
    }
  }

  original(line: number, column: number): { line: number; column: number } {
    let anchor: Segment | undefined;
    for (const s of this.byLine.get(line - 1) ?? []) {
      if (s[1] <= column - 1) anchor = s;
      else break;
    }
    if (!anchor) return { line, column };
    return { line: anchor[2] + 1, column: anchor[3] + (column - 1 - anchor[1]) + 1 };
  }
}

/** Thrown inside the walk when only tsc can transform the file; `stripTypes` turns it into undefined. */
class CannotStrip extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** One change to the source text, by offsets into it. */
interface Edit {
  readonly start: number;
  readonly end: number;
  /** The replacement; undefined blanks the range (spaces, line breaks kept). */
  readonly text: string | undefined;
  /** Blanking only: the first character becomes `;` (a removed statement or class member). */
  readonly semicolon?: boolean;
  /** The original offset the replacement's first column maps to (errors in inserted code point there). */
  readonly anchor: number;
}

/** What a top-level name is bound to, for deciding how to export and import it. */
type TopLevelKind = 'var' | 'let' | 'const' | 'function' | 'class';

/** How an import binding reads the module: `d` (default), `{a}` (named), `* as ns`, or types only. */
type ImportKind = 'default' | 'named' | 'namespace' | 'type';

/** The names stripTypes puts into the code; a file that uses any of them goes to tsc. */
const HELPER_MARK = '__xb';
const DEFAULT_NAME = 'default_1';

/** Runtime helpers, as tsc's `__importDefault`, `__importStar`, `__createBinding`, `__exportStar`. */
const HELPERS = {
  default: 'function __xbDefault(m) { return m && m.__esModule ? m.default : m; }',
  bind: 'function __xbBind(o, m, k, as) { let d = Object.getOwnPropertyDescriptor(m, k); if (!d || ("get" in d ? !m.__esModule : d.writable || d.configurable)) d = { enumerable: true, get() { return m[k]; } }; Object.defineProperty(o, as, d); }',
  star: 'function __xbStar(m) { if (m && m.__esModule) return m; const r = {}; if (m != null) for (const k of Object.getOwnPropertyNames(m)) if (k !== "default") __xbBind(r, m, k, k); Object.defineProperty(r, "default", { enumerable: true, value: m }); return r; }',
  reexport: 'function __xbReexport(exports, m, names) { for (const [as, k] of names) Object.defineProperty(exports, as, { enumerable: true, get: k === "default" ? () => __xbDefault(m) : () => m[k] }); }',
  exportStar: 'function __xbExportStar(exports, m) { for (const k in m) if (k !== "default" && !Object.prototype.hasOwnProperty.call(exports, k)) __xbBind(exports, m, k, k); }',
} as const;
const HELPER_NEEDS: Record<keyof typeof HELPERS, readonly (keyof typeof HELPERS)[]> = {
  default: [], bind: [], star: ['bind'], reexport: ['default'], exportStar: ['bind'],
};

class Stripper {
  private readonly K: typeof TsApi.SyntaxKind;
  private readonly sf: TsApi.SourceFile;
  private readonly edits: Edit[] = [];

  // What the walk learns about names.
  /** Names read as values somewhere (an import nobody reads is dropped, as tsc drops it). */
  private readonly valueRefs = new Set<string>();
  /** Names assigned somewhere (an exported binding must not be: tsc would update the export). */
  private readonly written = new Set<string>();
  /** How many times each name is declared anywhere in the file (imports included). */
  private readonly declarations = new Map<string, number>();
  /** Callees of calls `f(...)`, to point their stack frames where tsc's output did. */
  private readonly callees: TsApi.Identifier[] = [];

  // What the pre-pass finds at the top level.
  private readonly topLevel = new Map<string, { readonly kind: TopLevelKind; readonly statement: TsApi.Statement }>();
  private readonly imported = new Map<string, { readonly kind: ImportKind; readonly declaration: TsApi.ImportDeclaration }>();
  /** Interfaces and type aliases: exporting one exports nothing. */
  private readonly typeNames = new Set<string>();

  // Module syntax, decided during the walk and written out after it.
  /** Names bound by `export const|let|var` (tsc reads them through `exports.`). */
  private readonly exportedVariables = new Set<string>();
  /** Every local binding that is exported. */
  private readonly exportedLocals = new Set<string>();
  /** Export names in declaration order, created first so the key order is tsc's. */
  private readonly declaredExports: string[] = [];
  /** Prelude statements: exports of (hoisted) functions, getters of re-exported imports. */
  private readonly hoisted: string[] = [];
  /** `exports.E = local;` to run right after the statement that declares `local`. */
  private readonly exportAfter = new Map<Node, string[]>();
  private readonly helpers = new Set<keyof typeof HELPERS>();
  private readonly copiedImports: string[] = [];

  constructor(private readonly ts: TS, private readonly source: string) {
    this.K = ts.SyntaxKind;
    this.sf = ts.createSourceFile('module.ts', source,
      { languageVersion: ts.ScriptTarget.ES2022, jsDocParsingMode: ts.JSDocParsingMode.ParseNone }, true, ts.ScriptKind.TS);
  }

  run(): StrippedModule {
    const diagnostics = (this.sf as unknown as { parseDiagnostics?: readonly unknown[] }).parseDiagnostics;
    if (!Array.isArray(diagnostics) || diagnostics.length) throw new CannotStrip('syntax errors (tsc reports them)');
    if (this.source.startsWith('#!')) throw new CannotStrip('a #! line');
    if (this.source.includes(HELPER_MARK)) throw new CannotStrip(`uses the prefix ${HELPER_MARK} of the helpers`);
    this.findTopLevelNames();
    for (const statement of this.sf.statements) this.topLevelStatement(statement);
    this.checkBindings();
    for (const s of this.sf.statements) if (this.ts.isImportDeclaration(s)) this.rewriteImport(s);
    for (const [statement, assignments] of this.exportAfter) this.appendAfter(statement, assignments.join(''));
    this.anchorCalls();
    this.insert(0, this.prelude());
    return this.render();
  }

  // ------------------------------------------------------------------ top level: module syntax

  /**
   * Top-level bindings, types and imports, needed before the walk decides how to export a name.
   * `declare`d names are in none of them: exporting one goes to tsc.
   */
  private findTopLevelNames(): void {
    const K = this.K;
    for (const s of this.sf.statements) {
      if (this.ts.isImportDeclaration(s)) {
        const clause = s.importClause;
        if (!clause) continue;
        const typeOnly = clause.isTypeOnly;
        if (clause.name) this.importBinding(clause.name.text, typeOnly ? 'type' : 'default', s);
        const bindings = clause.namedBindings;
        if (bindings && this.ts.isNamespaceImport(bindings)) this.importBinding(bindings.name.text, typeOnly ? 'type' : 'namespace', s);
        else if (bindings) {
          for (const e of bindings.elements) {
            const kind = typeOnly || e.isTypeOnly ? 'type' : (e.propertyName?.text === 'default' ? 'default' : 'named');
            this.importBinding(e.name.text, kind, s);
          }
        }
      } else if (this.ts.isVariableStatement(s)) {
        const flags = s.declarationList.flags;
        const kind: TopLevelKind = flags & this.ts.NodeFlags.Const ? 'const' : flags & this.ts.NodeFlags.Let ? 'let' : 'var';
        if (this.hasModifier(s, K.DeclareKeyword)) continue;
        for (const d of s.declarationList.declarations) {
          for (const name of this.boundNames(d.name)) this.topLevelBinding(name, kind, s);
        }
      } else if (this.ts.isFunctionDeclaration(s) || this.ts.isClassDeclaration(s)) {
        if (!s.name || this.hasModifier(s, K.DeclareKeyword)) continue;
        if (this.ts.isClassDeclaration(s)) this.topLevelBinding(s.name.text, 'class', s);
        else if (s.body) this.topLevelBinding(s.name.text, 'function', s);
      } else if (this.ts.isInterfaceDeclaration(s) || this.ts.isTypeAliasDeclaration(s)) {
        this.typeNames.add(s.name.text);
      }
    }
  }

  private importBinding(name: string, kind: ImportKind, declaration: TsApi.ImportDeclaration): void {
    this.imported.set(name, { kind, declaration });
    if (kind !== 'type') this.declared(name);
  }

  private topLevelBinding(name: string, kind: TopLevelKind, statement: TsApi.Statement): void {
    // A second top-level declaration (`var x` twice, a function redeclared) assigns the name again.
    if (this.topLevel.has(name)) this.written.add(name);
    this.topLevel.set(name, { kind, statement });
  }

  private topLevelStatement(s: TsApi.Statement): void {
    const K = this.K;
    switch (s.kind) {
      case K.ImportDeclaration:
        if ((s as TsApi.ImportDeclaration).attributes) throw new CannotStrip('import attributes');
        return; // rewritten after the walk, which finds what its bindings are used for
      case K.ExportDeclaration:
        return this.exportDeclaration(s as TsApi.ExportDeclaration);
      case K.ExportAssignment:
        return this.exportDefaultExpression(s as TsApi.ExportAssignment);
      case K.ImportEqualsDeclaration:
        throw new CannotStrip('import x = require(...)');
      case K.NamespaceExportDeclaration:
        throw new CannotStrip('export as namespace');
      default:
        return this.visit(s);
    }
  }

  /** `export { a, b as c }`, `export { a } from "x"`, `export * from "x"`, `export * as ns from "x"`. */
  private exportDeclaration(d: TsApi.ExportDeclaration): void {
    if (d.isTypeOnly) return this.blankStatement(d);
    if (d.attributes) throw new CannotStrip('export attributes');
    const start = d.getStart(this.sf);
    const clause = d.exportClause;
    if (d.moduleSpecifier) {
      const from = this.specifierText(d.moduleSpecifier);
      if (clause && this.ts.isNamedExports(clause) && clause.elements.every((e) => e.isTypeOnly)) {
        return this.blankStatement(d); // types only: tsc does not even load the module
      }
      this.blank(start, d.end);
      if (!clause) {
        this.helpers.add('exportStar');
        this.insertStatement(start, '__xbExportStar(exports, ', `require(${from})`, ');');
      } else if (this.ts.isNamespaceExport(clause)) {
        const as = clause.name.text;
        this.declaredExports.push(as);
        this.helpers.add('star');
        this.insertStatement(start, `${exportsProperty(as)} = __xbStar(`, `require(${from})`, ');');
      } else {
        const names = clause.elements.filter((e) => !e.isTypeOnly).map((e) => {
          const as = e.name.text;
          this.declaredExports.push(as);
          return [as, (e.propertyName ?? e.name).text];
        });
        this.helpers.add('reexport');
        this.insertStatement(start, '__xbReexport(exports, ', `require(${from})`, `, ${JSON.stringify(names)});`);
      }
      return;
    }
    if (!clause || !this.ts.isNamedExports(clause)) throw new CannotStrip('unexpected export form');
    this.blankStatement(d);
    for (const e of clause.elements) {
      if (e.isTypeOnly) continue;
      if (!this.ts.isIdentifier(e.propertyName ?? e.name)) throw new CannotStrip('export of a string-named local');
      this.exportLocal((e.propertyName ?? e.name).text, e.name.text);
    }
  }

  /** `export { local as exported }`: where the value comes from decides what tsc emits. */
  private exportLocal(local: string, exported: string): void {
    const declared = this.topLevel.get(local);
    const imported = this.imported.get(local)?.kind;
    const assignment = `${exportsProperty(exported)} = ${local};`;
    if (declared) {
      this.exportedLocals.add(local);
      if (exported !== 'default' && declared.kind !== 'function') this.declaredExports.push(exported);
      if (declared.kind === 'function') this.hoisted.push(assignment);
      else this.assignAfter(declared.statement, assignment);
    } else if (imported && imported !== 'type') {
      this.valueRefs.add(local); // the export reads the import: tsc keeps it
      if (exported !== 'default') this.declaredExports.push(exported);
      if (imported === 'named') this.hoisted.push(`Object.defineProperty(exports, ${JSON.stringify(exported)}, { enumerable: true, get: () => ${local} });`);
      else this.assignAfter(this.imported.get(local)!.declaration, assignment); // a copy, as tsc's `exports.d = x_1.default`
    } else if (this.typeNames.has(local) || imported === 'type') {
      // A type: nothing to export at runtime.
    } else {
      throw new CannotStrip(`export of ${local}, which is ambient or not declared here`);
    }
  }

  /** `export default expr` -> `exports.default = expr;`. */
  private exportDefaultExpression(a: TsApi.ExportAssignment): void {
    if (a.isExportEquals) throw new CannotStrip('export =');
    const e = a.expression;
    if (this.ts.isIdentifier(e) && !this.topLevel.has(e.text) && (this.typeNames.has(e.text) || this.imported.get(e.text)?.kind === 'type')) {
      return this.blankStatement(a); // a type: tsc drops the statement
    }
    const start = a.getStart(this.sf);
    const defaultKeyword = this.skipTrivia(start + 'export'.length);
    if (!this.source.startsWith('default', defaultKeyword)) throw new CannotStrip('unexpected export default form');
    this.replace(start, defaultKeyword + 'default'.length, 'exports.default =');
    this.visit(e);
    this.ensureSemicolon(a);
  }

  private variableStatement(s: TsApi.VariableStatement): void {
    if (this.hasModifier(s, this.K.DeclareKeyword)) return this.blankStatement(s);
    const exported = this.exportModifiers(s);
    if (exported) {
      this.blank(exported.start, exported.end);
      const assignments: string[] = [];
      for (const d of s.declarationList.declarations) {
        for (const name of this.boundNames(d.name)) {
          this.exportedVariables.add(name);
          this.exportedLocals.add(name);
          this.declaredExports.push(name);
          assignments.push(`${exportsProperty(name)} = ${name};`);
        }
      }
      this.assignAfter(s, assignments.join(''));
    }
    this.visit(s.declarationList);
  }

  private functionDeclaration(f: TsApi.FunctionDeclaration): void {
    if (!f.body || this.hasModifier(f, this.K.DeclareKeyword)) return this.blankStatement(f); // an overload or ambient
    const exported = this.exportModifiers(f);
    if (exported) {
      this.blank(exported.start, exported.end);
      let name = f.name?.text;
      if (!name) {
        name = this.nameAnonymousDefault(f.asteriskToken ? f.asteriskToken.end : this.keywordEnd(f, 'function'));
      }
      this.exportedLocals.add(name);
      this.hoisted.push(`${exportsProperty(exported.isDefault ? 'default' : name)} = ${name};`);
    }
    this.functionLike(f);
  }

  /** Blanks the modifiers of a class; exports it after its declaration when at top level. */
  private classLike(c: TsApi.ClassDeclaration | TsApi.ClassExpression): void {
    const K = this.K;
    if (this.hasModifier(c, K.DeclareKeyword)) return this.blankStatement(c);
    const exported = this.ts.isClassDeclaration(c) ? this.exportModifiers(c) : undefined;
    for (const m of c.modifiers ?? []) {
      if (m.kind === K.AbstractKeyword) this.blankNode(m);
      else if (m.kind === K.Decorator) throw new CannotStrip('decorators');
      else if (m.kind !== K.ExportKeyword && m.kind !== K.DefaultKeyword) throw new CannotStrip(`class modifier ${this.ts.tokenToString(m.kind)}`);
    }
    if (exported) {
      this.blank(exported.start, exported.end);
      const name = c.name?.text ?? this.nameAnonymousDefault(this.keywordEnd(c, 'class'));
      this.exportedLocals.add(name);
      if (!exported.isDefault) this.declaredExports.push(name);
      this.assignAfter(c as TsApi.ClassDeclaration, `${exportsProperty(exported.isDefault ? 'default' : name)} = ${name};`);
    }
    this.classBody(c);
  }

  /** `export` / `export default` of a declaration: its range (to blank) or undefined. */
  private exportModifiers(node: TsApi.HasModifiers): { start: number; end: number; isDefault: boolean } | undefined {
    const mods = node.modifiers ?? [];
    const exportMod = mods.find((m) => m.kind === this.K.ExportKeyword);
    if (!exportMod) return undefined;
    if (node.parent !== this.sf) throw new CannotStrip('export inside a block');
    const defaultMod = mods.find((m) => m.kind === this.K.DefaultKeyword);
    return { start: exportMod.getStart(this.sf), end: (defaultMod ?? exportMod).end, isDefault: !!defaultMod };
  }

  /** `export default function () {}` gets tsc's name for it, so `.name` is the same. */
  private nameAnonymousDefault(at: number): string {
    if (this.source.includes(DEFAULT_NAME)) throw new CannotStrip(`an anonymous default export next to a name ${DEFAULT_NAME}`);
    this.insert(at, ` ${DEFAULT_NAME}`);
    return DEFAULT_NAME;
  }

  /** The end of the `function` or `class` keyword of a declaration (after its modifiers). */
  private keywordEnd(declaration: TsApi.HasModifiers, keyword: 'function' | 'class'): number {
    const modifiers = declaration.modifiers ?? [];
    const at = modifiers.length ? this.skipTrivia(modifiers[modifiers.length - 1].end) : declaration.getStart(this.sf);
    if (!this.source.startsWith(keyword, at)) throw new CannotStrip(`no ${keyword} keyword where expected (this is a stripTypes bug)`);
    return at + keyword.length;
  }

  // ------------------------------------------------------------------ the walk: types, bindings, references

  private visit = (node: Node): void => {
    const K = this.K;
    switch (node.kind) {
      case K.Identifier:
        return this.reference(node as TsApi.Identifier);
      case K.InterfaceDeclaration:
      case K.TypeAliasDeclaration:
        return this.blankStatement(node);
      case K.EnumDeclaration:
        if (this.hasModifier(node as TsApi.EnumDeclaration, K.DeclareKeyword)) return this.blankStatement(node);
        throw new CannotStrip('enum');
      case K.ModuleDeclaration:
        if (this.hasModifier(node as TsApi.ModuleDeclaration, K.DeclareKeyword)) return this.blankStatement(node);
        throw new CannotStrip('namespace');
      case K.ImportDeclaration:
      case K.ExportDeclaration:
      case K.ExportAssignment:
      case K.ImportEqualsDeclaration:
        throw new CannotStrip('module syntax below the top level');
      case K.VariableStatement:
        return this.variableStatement(node as TsApi.VariableStatement);
      case K.VariableDeclarationList:
        return this.variableDeclarationList(node as TsApi.VariableDeclarationList);
      case K.VariableDeclaration: // of a catch clause
        return this.variableDeclaration(node as TsApi.VariableDeclaration, false);
      case K.FunctionDeclaration:
        return this.functionDeclaration(node as TsApi.FunctionDeclaration);
      case K.ClassDeclaration:
      case K.ClassExpression:
        return this.classLike(node as TsApi.ClassDeclaration | TsApi.ClassExpression);
      case K.FunctionExpression:
      case K.ArrowFunction:
      case K.MethodDeclaration: // in object literals; class members go through classMember
      case K.GetAccessor:
      case K.SetAccessor:
        return this.functionLike(node as TsApi.FunctionLikeDeclaration);
      case K.AsExpression:
      case K.SatisfiesExpression:
        return this.typeCheck(node as TsApi.AsExpression | TsApi.SatisfiesExpression);
      case K.NonNullExpression:
        this.blank(node.end - 1, node.end);
        return this.visit((node as TsApi.NonNullExpression).expression);
      case K.TypeAssertionExpression:
        return this.typeAssertion(node as TsApi.TypeAssertion);
      case K.CallExpression: {
        const call = node as TsApi.CallExpression;
        if (call.expression.kind === K.ImportKeyword) throw new CannotStrip('import()');
        if (this.ts.isIdentifier(call.expression)) this.callees.push(call.expression);
        this.blankTypeList(call.typeArguments);
        this.visit(call.expression);
        return call.arguments.forEach(this.visit);
      }
      case K.NewExpression: {
        const call = node as TsApi.NewExpression;
        this.blankTypeList(call.typeArguments);
        this.visit(call.expression);
        return call.arguments?.forEach(this.visit);
      }
      case K.TaggedTemplateExpression: {
        const tagged = node as TsApi.TaggedTemplateExpression;
        this.blankTypeList(tagged.typeArguments);
        this.visit(tagged.tag);
        return this.visit(tagged.template);
      }
      case K.ExpressionWithTypeArguments: { // an instantiation expression `f<T>`
        const e = node as TsApi.ExpressionWithTypeArguments;
        this.blankTypeList(e.typeArguments);
        return this.visit(e.expression);
      }
      case K.PropertyAccessExpression:
        return this.visit((node as TsApi.PropertyAccessExpression).expression);
      case K.PropertyAssignment: {
        const p = node as TsApi.PropertyAssignment;
        this.visitPropertyName(p.name);
        return this.visit(p.initializer);
      }
      case K.LabeledStatement:
        return this.visit((node as TsApi.LabeledStatement).statement);
      case K.BreakStatement:
      case K.ContinueStatement:
        return;
      case K.MetaProperty:
        if ((node as TsApi.MetaProperty).keywordToken === K.ImportKeyword) throw new CannotStrip('import.meta');
        return;
      case K.Decorator:
        throw new CannotStrip('decorators');
      case K.PublicKeyword:
      case K.PrivateKeyword:
      case K.ProtectedKeyword:
      case K.ReadonlyKeyword:
      case K.AbstractKeyword:
      case K.OverrideKeyword:
      case K.DeclareKeyword:
      case K.AccessorKeyword:
      case K.ExportKeyword:
      case K.DefaultKeyword:
        throw new CannotStrip(`modifier ${this.ts.tokenToString(node.kind)} here`);
      default:
        if (this.ts.isTypeNode(node) || node.kind === K.TypeParameter) throw new CannotStrip(`a type at an unexpected place (${K[node.kind]})`);
        this.ts.forEachChild(node, this.visit);
    }
  };

  private variableDeclarationList(list: TsApi.VariableDeclarationList): void {
    const F = this.ts.NodeFlags;
    const kind = list.flags & (F.Let | F.Const | F.Using); // AwaitUsing is Const | Using
    if (kind & F.Using) throw new CannotStrip('using declarations (tsc lowers them)');
    const isVar = kind === 0;
    // A `var` below the top level may assign a top-level name (it is hoisted to the function scope).
    const assigns = isVar && !(this.ts.isVariableStatement(list.parent) && list.parent.parent === this.sf);
    for (const d of list.declarations) this.variableDeclaration(d, assigns);
  }

  private variableDeclaration(d: TsApi.VariableDeclaration, assigns: boolean): void {
    this.bindingName(d.name, assigns);
    if (d.exclamationToken) this.blankNode(d.exclamationToken);
    this.blankAnnotation(d.type);
    if (d.initializer) this.visit(d.initializer);
  }

  /** A function, method, accessor, constructor or arrow function: signature types, parameters, body. */
  private functionLike(f: TsApi.FunctionLikeDeclaration): void {
    const K = this.K;
    if (f.name) {
      if (this.ts.isIdentifier(f.name) && (f.kind === K.FunctionDeclaration || f.kind === K.FunctionExpression)) this.declared(f.name.text);
      else this.visitPropertyName(f.name);
    }
    for (const m of f.modifiers ?? []) {
      if (m.kind === K.Decorator) throw new CannotStrip('decorators');
    }
    this.blankTypeList(f.typeParameters);
    f.parameters.forEach((p) => this.parameter(p));
    this.blankAnnotation(f.type);
    if (this.ts.isArrowFunction(f)) this.checkArrowHead(f);
    if (f.body) this.visit(f.body);
  }

  /** Blanking must not leave a line break where JavaScript forbids one: before `=>`, after `async`. */
  private checkArrowHead(f: TsApi.ArrowFunction): void {
    const arrow = f.equalsGreaterThanToken.getStart(this.sf);
    if ((f.type || f.typeParameters) && this.hasLineBreak(this.closeParen(f), arrow)) throw new CannotStrip('a line break before => once the return type is removed');
    const asyncMod = f.modifiers?.find((m) => m.kind === this.K.AsyncKeyword);
    if (asyncMod && f.typeParameters && this.hasLineBreak(asyncMod.end, f.parameters.pos)) throw new CannotStrip('a line break after async once type parameters are removed');
  }

  /** The offset just after the `)` of an arrow function's parameters. */
  private closeParen(f: TsApi.ArrowFunction): number {
    const at = this.skipTrivia(f.parameters.end);
    if (this.source[at] !== ')') throw new CannotStrip('arrow function without parenthesised parameters but with a type');
    return at + 1;
  }

  private parameter(p: TsApi.ParameterDeclaration): void {
    if (p.modifiers?.length) throw new CannotStrip('parameter properties or decorators');
    if (this.ts.isIdentifier(p.name) && p.name.text === 'this') {
      // `this: T` exists only for the type checker: remove it and its comma.
      const after = this.skipTrivia(p.end);
      return this.blank(p.getStart(this.sf), this.source[after] === ',' ? after + 1 : p.end);
    }
    this.bindingName(p.name, false);
    if (p.questionToken) this.blankNode(p.questionToken);
    this.blankAnnotation(p.type);
    if (p.initializer) this.visit(p.initializer);
  }

  private classBody(c: TsApi.ClassLikeDeclaration): void {
    const K = this.K;
    if (c.name) this.declared(c.name.text);
    this.blankTypeList(c.typeParameters);
    for (const clause of c.heritageClauses ?? []) {
      if (clause.token === K.ImplementsKeyword) {
        this.blank(clause.getStart(this.sf), clause.end);
        continue;
      }
      for (const t of clause.types) {
        this.blankTypeList(t.typeArguments);
        this.visit(t.expression);
      }
    }
    for (const member of c.members) this.classMember(member);
  }

  private classMember(m: TsApi.ClassElement): void {
    const K = this.K;
    const modifiers = (m as TsApi.HasModifiers).modifiers ?? [];
    if (modifiers.some((x) => x.kind === K.Decorator)) throw new CannotStrip('decorators');
    if (modifiers.some((x) => x.kind === K.AccessorKeyword)) throw new CannotStrip('accessor fields (tsc lowers them)');
    const bodiless = (this.ts.isMethodDeclaration(m) || this.ts.isConstructorDeclaration(m) || this.ts.isAccessor(m)) && !m.body;
    if (m.kind === K.IndexSignature || bodiless || modifiers.some((x) => x.kind === K.DeclareKeyword || x.kind === K.AbstractKeyword)) {
      return this.blankStatement(m); // exists only for the type checker
    }
    for (const x of modifiers) {
      if (x.kind === K.PublicKeyword || x.kind === K.PrivateKeyword || x.kind === K.ProtectedKeyword || x.kind === K.ReadonlyKeyword || x.kind === K.OverrideKeyword) {
        this.blankNode(x);
      }
    }
    if (this.ts.isPropertyDeclaration(m)) {
      this.visitPropertyName(m.name);
      // `get: number` or `static?` before a line break would make JavaScript read `get` /
      // `static` as the modifier of the next member: end a field without initializer with `;`.
      const terminate = !m.initializer && this.source[m.end - 1] !== ';';
      const marker = m.questionToken ?? m.exclamationToken;
      if (marker) this.blank(marker.getStart(this.sf), marker.end, terminate && !m.type);
      this.blankAnnotation(m.type, terminate);
      if (m.initializer) this.visit(m.initializer);
    } else if (this.ts.isMethodDeclaration(m) || this.ts.isConstructorDeclaration(m) || this.ts.isAccessor(m)) {
      if (this.ts.isMethodDeclaration(m) && m.questionToken) this.blankNode(m.questionToken);
      this.functionLike(m);
    } else if (this.ts.isClassStaticBlockDeclaration(m)) {
      this.visit(m.body);
    } else if (m.kind !== K.SemicolonClassElement) {
      throw new CannotStrip(`class member ${K[m.kind]}`);
    }
  }

  /** `x as T`, `x satisfies T`: blank the operator and type, if what follows cannot then bind to `x`. */
  private typeCheck(node: TsApi.AsExpression | TsApi.SatisfiesExpression): void {
    this.visit(node.expression);
    this.blank(node.expression.end, node.end);
    if (!this.endsExpressionSafely(node.end)) throw new CannotStrip('what follows an `as`/`satisfies` could bind differently without it');
  }

  /**
   * After `a as T` is blanked, `a` meets the next token directly. `as` binds like `<`, so
   * anything binding tighter than equality (`a as T + 1` is `(a as T) + 1`) or continuing `a`
   * (`(`, `[`, `.`, a template) would change the meaning; those go to tsc.
   */
  private endsExpressionSafely(end: number): boolean {
    const at = this.skipTrivia(end);
    const next = this.source.slice(at, at + 3);
    if (at >= this.source.length) return true;
    if (/^[)\]},;:]/.test(next) || /^(\?\?|\?(?![.]\D)|&&|\|\||={2,3}|!={1,2})/.test(next)) return true;
    if (/^[&|^](?![=&|])/.test(next)) return true;
    const word = /^[A-Za-z_$][\w$]*/.exec(this.source.slice(at, at + 20))?.[0];
    if (word === 'as' || word === 'satisfies') return true;
    // On the next line, a word, literal or `{` cannot continue the expression: the statement ended.
    if (this.hasLineBreak(end, at) && word !== 'in' && word !== 'instanceof' && /^[\w$"'{]/.test(next)) return true;
    return false;
  }

  /** `<T>x`: blank `<T>` unless that leaves a line break after `return` or `{`/`function` at a statement start. */
  private typeAssertion(node: TsApi.TypeAssertion): void {
    const start = node.getStart(this.sf);
    const expressionStart = node.expression.getStart(this.sf);
    if (this.hasLineBreak(start, expressionStart)) throw new CannotStrip('a line break inside <T>x');
    for (let child: Node = node, parent = node.parent; ; child = parent, parent = parent.parent) {
      if (this.ts.isExpressionStatement(parent) || (this.ts.isArrowFunction(parent) && parent.body === child)) {
        throw new CannotStrip('<T>x at the start of a statement or arrow body');
      }
      if (!this.ts.isExpression(parent) || parent.getStart(this.sf) !== start) break;
    }
    this.blank(start, expressionStart);
    this.visit(node.expression);
  }

  private visitPropertyName(name: TsApi.PropertyName): void {
    if (this.ts.isComputedPropertyName(name)) this.visit(name.expression);
  }

  /** Declares the names a binding pattern binds and visits its defaults and computed keys. */
  private bindingName(name: TsApi.BindingName, assigns: boolean): void {
    if (this.ts.isIdentifier(name)) {
      this.declared(name.text);
      if (assigns) this.written.add(name.text);
      return;
    }
    for (const e of name.elements) {
      if (this.ts.isOmittedExpression(e)) continue;
      if (e.propertyName) this.visitPropertyName(e.propertyName);
      this.bindingName(e.name, assigns);
      if (e.initializer) this.visit(e.initializer);
    }
  }

  private boundNames(name: TsApi.BindingName): string[] {
    if (this.ts.isIdentifier(name)) return [name.text];
    return name.elements.flatMap((e) => (this.ts.isOmittedExpression(e) ? [] : this.boundNames(e.name)));
  }

  private declared(name: string): void {
    this.declarations.set(name, (this.declarations.get(name) ?? 0) + 1);
  }

  /** An identifier the walk reached: a value read, maybe also a write. */
  private reference(id: TsApi.Identifier): void {
    this.valueRefs.add(id.text);
    if (this.isAssigned(id)) this.written.add(id.text);
  }

  /** `x = ...`, `x++`, `[x] = ...`, `({ x } = ...)`, `for (x of ...)`. */
  private isAssigned(id: TsApi.Identifier): boolean {
    const K = this.K;
    let node: Node = id;
    let inPattern = false;
    for (;;) {
      const p = node.parent;
      switch (p.kind) {
        case K.ParenthesizedExpression:
        case K.NonNullExpression:
        case K.AsExpression:
        case K.SatisfiesExpression:
        case K.TypeAssertionExpression:
          node = p;
          continue;
        case K.ArrayLiteralExpression:
        case K.ObjectLiteralExpression:
        case K.SpreadElement:
        case K.SpreadAssignment:
        case K.ShorthandPropertyAssignment:
        case K.PropertyAssignment:
          inPattern = true;
          node = p;
          continue;
        case K.BinaryExpression: {
          const b = p as TsApi.BinaryExpression;
          const op = b.operatorToken.kind;
          return b.left === node && op >= K.FirstAssignment && op <= K.LastAssignment;
        }
        case K.PrefixUnaryExpression:
        case K.PostfixUnaryExpression: {
          const op = (p as TsApi.PrefixUnaryExpression).operator;
          return !inPattern && (op === K.PlusPlusToken || op === K.MinusMinusToken);
        }
        case K.ForInStatement:
        case K.ForOfStatement:
          return (p as TsApi.ForInStatement).initializer === node;
        default:
          return false;
      }
    }
  }

  // ------------------------------------------------------------------ after the walk

  private checkBindings(): void {
    for (const [name, { kind }] of this.imported) {
      if (kind === 'type') continue;
      if ((this.declarations.get(name) ?? 0) > 1) throw new CannotStrip(`import ${name} is shadowed somewhere (tsc decides by scope whether it is used)`);
      if (this.written.has(name)) throw new CannotStrip(`import ${name} is assigned`);
    }
    for (const name of this.exportedLocals) {
      if (this.written.has(name)) throw new CannotStrip(`exported ${name} is assigned after its declaration (tsc updates the export)`);
    }
  }

  /** `import ... from "x"` -> `const ... = require("x");`, or nothing when no binding is read. */
  private rewriteImport(d: TsApi.ImportDeclaration): void {
    const start = d.getStart(this.sf);
    const clause = d.importClause;
    const specifier = d.moduleSpecifier;
    if (!clause) {
      // `import "x"` -> `require("x")`, the call where the statement starts.
      this.replace(start, start + 'import'.length, 'require(');
      this.insert(specifier.end, ')');
      return this.ensureSemicolon(d);
    }
    if (clause.isTypeOnly) return this.blankStatement(d);
    const used = (name: TsApi.Identifier) => this.valueRefs.has(name.text);
    const defaultName = clause.name && used(clause.name) ? clause.name : undefined;
    const bindings = clause.namedBindings;
    const namespace = bindings && this.ts.isNamespaceImport(bindings) && used(bindings.name) ? bindings : undefined;
    const named = bindings && this.ts.isNamedImports(bindings) ? bindings.elements.filter((e) => !e.isTypeOnly && used(e.name)) : [];
    if (!defaultName && !namespace && !named.length) return this.blankStatement(d); // tsc drops it
    if (defaultName && namespace) throw new CannotStrip('import d, * as ns');
    if (!namespace) this.copiedImports.push((specifier as TsApi.StringLiteral).text);
    this.replace(start, start + 'import'.length, 'const ');
    let helper: 'default' | 'star' | undefined;
    if (namespace) {
      this.blank(clause.getStart(this.sf), namespace.name.getStart(this.sf)); // `d, * as ` -> `ns`
      helper = 'star';
    } else if (!named.length) {
      this.blank(defaultName!.end, clause.end); // `, {unused}`
      helper = 'default';
    } else {
      const list = bindings as TsApi.NamedImports;
      if (defaultName) {
        this.insert(defaultName.getStart(this.sf), '{default: ');
        this.blank(list.getStart(this.sf), list.getStart(this.sf) + 1); // its `{`: the pattern opened before `d`
      } else if (clause.name) {
        this.blank(clause.name.getStart(this.sf), list.getStart(this.sf)); // an unused `d, `
      }
      for (const e of list.elements) {
        if (!named.includes(e)) {
          const after = this.skipTrivia(e.end);
          this.blank(e.getStart(this.sf), this.source[after] === ',' ? after + 1 : e.end);
        } else if (e.propertyName) {
          const as = this.skipTrivia(e.propertyName.end);
          if (!this.source.startsWith('as', as)) throw new CannotStrip('unexpected import specifier');
          this.replace(as, as + 2, ': ');
        }
      }
      if (defaultName || named.some((e) => e.propertyName?.text === 'default')) helper = 'star';
    }
    const from = this.skipTrivia(clause.end);
    if (!this.source.startsWith('from', from)) throw new CannotStrip('unexpected import form');
    this.replace(from, from + 'from'.length, '=');
    const specifierStart = specifier.getStart(this.sf);
    if (helper === 'star') this.insert(specifierStart, '__xbStar(', start);
    if (helper === 'default') this.insert(specifierStart, '__xbDefault(', start);
    if (helper) this.helpers.add(helper);
    this.insert(specifierStart, 'require(', start);
    this.insert(specifier.end, helper ? '))' : ')');
    this.ensureSemicolon(d);
  }

  /**
   * tsc calls an imported function as `(0, x_1.f)(...)` (and an exported variable as
   * `(0, exports.f)(...)`); V8 puts such a call at its argument list, which tsc's source map
   * turns into the column after the callee. That is where the rule call-site `location` of a
   * target has always pointed, and `locateText` searches attributes from there: keep it.
   */
  private anchorCalls(): void {
    for (const callee of this.callees) {
      const name = callee.text;
      const kind = this.imported.get(name)?.kind;
      const readThroughModule = kind === 'default' || kind === 'named' || this.exportedVariables.has(name);
      if (!readThroughModule || this.declarations.get(name) !== 1) continue;
      const start = callee.getStart(this.sf);
      this.edits.push({ start, end: start + 1, text: this.source[start], anchor: callee.end + 1 });
    }
  }

  /** Line 1, before the user's code: strict mode, the ES module mark, exports declared up front, helpers. */
  private prelude(): string {
    let out = '"use strict";';
    // Only a file with import or export syntax is a module, and only modules are marked (a
    // default import of a script gets its whole exports object).
    if (this.ts.isExternalModule(this.sf)) out += 'Object.defineProperty(exports, "__esModule", { value: true });';
    if (this.declaredExports.length) out += `${[...this.declaredExports].reverse().map(exportsProperty).join(' = ')} = void 0;`;
    out += this.hoisted.join('');
    const helpers = new Set<keyof typeof HELPERS>();
    const add = (h: keyof typeof HELPERS) => {
      helpers.add(h);
      HELPER_NEEDS[h].forEach(add);
    };
    this.helpers.forEach(add);
    for (const h of helpers) out += HELPERS[h];
    return out;
  }

  // ------------------------------------------------------------------ edits

  private blank(start: number, end: number, semicolon = false): void {
    if (end > start) this.edits.push({ start, end, text: undefined, semicolon, anchor: start });
  }

  private blankNode(node: Node): void {
    this.blank(node.getStart(this.sf), node.end);
  }

  /** Removes a statement or class member, leaving `;` so that its neighbours stay apart. */
  private blankStatement(node: Node): void {
    this.blank(node.getStart(this.sf), node.end, true);
  }

  /** `: T` of a declaration or signature (the `:` is the token right before the type), or `;` and spaces. */
  private blankAnnotation(type: TsApi.TypeNode | undefined, semicolon = false): void {
    if (!type) return;
    if (this.source[type.pos - 1] !== ':') throw new CannotStrip('a type annotation without its colon (this is a stripTypes bug)');
    this.blank(type.pos - 1, type.end, semicolon);
  }

  /** `<T, U>` of type parameters or type arguments (the list sits between the brackets). */
  private blankTypeList(list: TsApi.NodeArray<Node> | undefined): void {
    if (!list) return;
    const open = list.pos - 1;
    const close = this.skipTrivia(list.end);
    if (this.source[open] !== '<' || this.source[close] !== '>') throw new CannotStrip('unexpected type parameter list');
    this.blank(open, close + 1);
  }

  private replace(start: number, end: number, text: string, anchor = start): void {
    this.edits.push({ start, end, text, anchor });
  }

  private insert(at: number, text: string, anchor = at): void {
    this.edits.push({ start: at, end: at, text, anchor });
  }

  /** Inserts a statement at `at`, every part of it mapping to `at` (its `require` call included). */
  private insertStatement(at: number, ...parts: string[]): void {
    for (const part of parts) this.insert(at, part, at);
  }

  private assignAfter(statement: Node, assignment: string): void {
    const list = this.exportAfter.get(statement);
    if (list) list.push(assignment);
    else this.exportAfter.set(statement, [assignment]);
  }

  /** Appends code after a statement, on its last line (a `;` first when the statement has none). */
  private appendAfter(statement: Node, code: string): void {
    const needsSemicolon = !this.ts.isClassDeclaration(statement) && !this.ts.isFunctionDeclaration(statement) && this.source[statement.end - 1] !== ';';
    this.insert(statement.end, (needsSemicolon ? ';' : '') + code);
  }

  private ensureSemicolon(statement: Node): void {
    if (this.source[statement.end - 1] !== ';') this.insert(statement.end, ';');
  }

  /** The literal text of a module specifier, to repeat in inserted code. */
  private specifierText(specifier: TsApi.Expression): string {
    const text = this.source.slice(specifier.getStart(this.sf), specifier.end);
    if (!this.ts.isStringLiteral(specifier) || /[\r\n\u2028\u2029]/.test(text)) throw new CannotStrip('unexpected module specifier');
    return text;
  }

  private hasModifier(node: Node, kind: TsApi.SyntaxKind): boolean {
    return !!(node as TsApi.HasModifiers).modifiers?.some((m) => m.kind === kind);
  }

  private hasLineBreak(start: number, end: number): boolean {
    for (let i = start; i < end; i++) {
      const c = this.source.charCodeAt(i);
      if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return true;
    }
    return false;
  }

  /** The offset of the next token at or after `pos` (whitespace and comments skipped). */
  private skipTrivia(pos: number): number {
    const s = this.source;
    while (pos < s.length) {
      const c = s.charCodeAt(pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || c === 0x2028 || c === 0x2029) pos++;
      else if (c === 47 && s.charCodeAt(pos + 1) === 47) {
        while (pos < s.length && !/[\r\n\u2028\u2029]/.test(s[pos])) pos++;
      } else if (c === 47 && s.charCodeAt(pos + 1) === 42) {
        const close = s.indexOf('*/', pos + 2);
        pos = close < 0 ? s.length : close + 2;
      } else if (c > 127 && /\s/.test(s[pos])) pos++;
      else break;
    }
    return pos;
  }

  /** Applies the edits (sorted, insertions before what starts at the same offset) and records the segments. */
  private render(): StrippedModule {
    const edits = this.edits.sort((a, b) => a.start - b.start || Number(a.end > a.start) - Number(b.end > b.start));
    const out: string[] = [];
    const segments: Segment[] = [];
    let copied = 0;
    let line = -1;
    let shift = 0; // generated column - original column, after the last edit on `line`
    for (const e of edits) {
      if (e.start < copied) throw new CannotStrip('overlapping edits (this is a stripTypes bug)');
      out.push(this.source.slice(copied, e.start));
      copied = e.end;
      const original = this.source.slice(e.start, e.end);
      if (e.text === undefined) {
        const spaces = blank(original);
        out.push(e.semicolon ? ';' + spaces.slice(1) : spaces);
        continue;
      }
      if (/[\r\n\u2028\u2029]/.test(original + e.text)) throw new CannotStrip('a rewrite across lines');
      out.push(e.text);
      const at = this.sf.getLineAndCharacterOfPosition(e.start);
      if (at.line !== line) {
        line = at.line;
        shift = 0;
      }
      const generated = at.character + shift;
      if (e.anchor === e.start && e.text.length === original.length) continue; // same columns
      const anchor = e.anchor === e.start ? at : this.sf.getLineAndCharacterOfPosition(e.anchor);
      segments.push([line, generated, anchor.line, anchor.character]);
      shift += e.text.length - original.length;
      segments.push([line, generated + e.text.length, line, at.character + original.length]);
    }
    out.push(this.source.slice(copied));
    return { code: out.join(''), segments, copiedImports: this.copiedImports };
  }
}

/**
 * `text` with every UTF-16 unit but line breaks turned into a space. A loop, not a global
 * RegExp replace: in the analysis worker RegExp.prototype is frozen (SES), which takes V8 off
 * its fast path, and such a replace then costs more than ten times as much.
 */
function blank(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) {
      out += ' '.repeat(i - from) + text[i];
      from = i + 1;
    }
  }
  return out + ' '.repeat(text.length - from);
}

/** `exports.name`, or `exports["a b"]` when the export name is not an identifier. */
function exportsProperty(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `exports.${name}` : `exports[${JSON.stringify(name)}]`;
}
