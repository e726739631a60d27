// Preloaded by tests/engine/diagnosticsGolden.test.ts (NODE_OPTIONS=--require): chmod of a file
// named inject-fault.txt throws a TypeError, standing for a bug in xbuild's own code.
const fs = require('node:fs');
const { syncBuiltinESMExports } = require('node:module');
const chmodSync = fs.chmodSync;
fs.chmodSync = function (path, mode) {
  if (String(path).endsWith('/inject-fault.txt')) throw new TypeError('injected fault: chmod of inject-fault.txt');
  return chmodSync.call(this, path, mode);
};
syncBuiltinESMExports();
