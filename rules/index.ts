/**
 * The "xbuild" module that BUILD.ts files import: the rule API and every rule.
 * Rule families add one `export * from` line each.
 */
export * from '../engine/analyze/api.js';
export * from './builtin.js';
export * from './kernel.js';
export * from './iso.js';
export * from './buildRoot.js';
export * from './toolchain.js';
export * from './glibc.js';
export * from './libgcc.js';
export * from './debian.js';
export * from './aptRepo.js';
