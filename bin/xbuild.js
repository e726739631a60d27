#!/usr/bin/env node
// The xbuild command. The TypeScript sources are compiled to dist/ and the command line bundled
// into dist/bundle/ (scripts/bundle.mjs) by `npm run build` (run automatically by `npm ci` /
// `npm install` through the "prepare" script).
import { main } from '../dist/bundle/main.js';

let settled = false;
// If the event loop ever empties while a command is still pending, that is a bug: never exit 0 then.
process.on('beforeExit', () => {
  if (!settled) {
    process.stderr.write('xbuild: internal error (this is an xbuild bug): the command stopped without finishing\n');
    process.exit(3);
  }
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exit(code);
  },
  (e) => {
    process.stderr.write(`xbuild: internal error (this is an xbuild bug): ${e?.stack ?? e}\n`);
    process.exit(3);
  },
);
