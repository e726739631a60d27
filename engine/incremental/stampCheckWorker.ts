/** The helper thread of a stamp check: takes chunks of entries until none are left (engine/incremental/stampCheck.ts). */
import { parentPort } from 'node:worker_threads';
import { checkShare } from './stampCheck.js';

parentPort!.once('message', (work: Parameters<typeof checkShare>) => {
  checkShare(...work);
  parentPort!.close();
});
