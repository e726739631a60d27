/**
 * `xbuild check`: type-checks every BUILD.ts (and the workspace .ts and .json files they import)
 * with ts-morph against the rule types, printing file:line:col for each problem.
 */
import { join } from 'node:path';
import { Loader } from '../engine/load/loader.js';
import { renderDiagnostic, diag } from '../engine/report/diagnostics.js';
import { INSTALL_ROOT } from '../engine/installation.js';
import type { CommandContext } from './commandContext.js';

export async function checkCommand(ctx: CommandContext): Promise<number> {
  const { Project, ts } = await import('ts-morph');
  const packages = new Loader(ctx.root, {}).findPackages('');
  const project = new Project({
    compilerOptions: {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: [], lib: ['lib.es2022.d.ts'],
      paths: { xbuild: [join(INSTALL_ROOT, 'dist/rules/index.d.ts')] }, allowImportingTsExtensions: true,
      // `import lock from "./debian.lock.json"`: the data's type is the file's (the loader hands the parsed value in).
      resolveJsonModule: true, esModuleInterop: true,
    },
  });
  for (const pkg of packages) project.addSourceFileAtPath(join(ctx.root, pkg, 'BUILD.ts'));
  project.resolveSourceFileDependencies();
  const diagnostics = project.getPreEmitDiagnostics().filter((d) => {
    const f = d.getSourceFile()?.getFilePath();
    return !f || f.startsWith(ctx.root);
  });
  for (const d of diagnostics) {
    const sf = d.getSourceFile();
    const start = d.getStart();
    const pos = sf && start !== undefined ? sf.compilerNode.getLineAndCharacterOfPosition(start) : undefined;
    const msg = ts.flattenDiagnosticMessageText(d.compilerObject.messageText, '\n    ');
    process.stderr.write(`${renderDiagnostic(diag(`TS${d.getCode()}`, msg, sf && pos ? { file: sf.getFilePath(), line: pos.line + 1, column: pos.character + 1, length: d.getLength() } : undefined), ctx.root)}\n`);
  }
  const files = project.getSourceFiles().filter((f) => f.getFilePath().startsWith(ctx.root)).length;
  if (diagnostics.length) {
    process.stderr.write(`xbuild check: ${diagnostics.length} type error${diagnostics.length === 1 ? '' : 's'} in ${files} files\n`);
    return 2;
  }
  process.stderr.write(`xbuild check: ${packages.length} BUILD files (${files} files) type-check cleanly\n`);
  return 0;
}
