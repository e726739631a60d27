#!/usr/bin/env node
// The xbuild command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm ci` / `npm install` through the "prepare" script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`xbuild: internal error (this is an xbuild bug): ${e?.stack ?? e}\n`);
    process.exit(3);
  },
);
