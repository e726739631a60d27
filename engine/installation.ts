/**
 * Where this xbuild is installed, for every module that finds a file of its own: the worker
 * threads' entry files, rules/, the compiled tree whose digest keys analyses, the prefix the
 * executor hides in command lines. This module sits one directory below dist/, as the bundled
 * command line does (dist/bundle/, see scripts/bundle.mjs): `import.meta.url` gives the same root
 * from either, so no other module derives a path from its own location.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installation's root directory, with a trailing slash. */
export const INSTALL_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Its compiled code (the TypeScript tree under dist/). */
export const DIST = join(INSTALL_ROOT, 'dist');
