/** The helper thread of a stamp check: takes chunks of entries until none are left (engine/incremental/stampCheck.ts). */
import { parentPort } from 'node:worker_threads';
import { checkShare, type StampLayout } from './stampCheck.js';

interface Work {
  readonly buffer: SharedArrayBuffer;
  readonly layout: StampLayout;
  readonly verdicts: Uint8Array;
  readonly control: Int32Array;
}

parentPort!.once('message', (w: Work) => {
  checkShare(w.buffer, w.layout, w.verdicts, w.control);
  parentPort!.close();
});
