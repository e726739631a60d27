// The virtual clock lives in engine/schedule/virtualClock.ts (`xbuild build --dry-run --forecast-cores N` uses it); the benchmarks import it from here.
export * from '../engine/schedule/virtualClock.js';
