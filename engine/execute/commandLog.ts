/**
 * An action's log: the command writes it in its sandbox, xbuild moves it to the workspace's log
 * directory and reads its end (for the failure report) or all of it (to store it as a blob).
 */
import { chownSync, closeSync, copyFileSync, fstatSync, lstatSync, openSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';

const LOG_READ_LIMIT = 65536;

/** A log's bytes: all of them (`complete`) when it is at most 64 KiB, else its last 64 KiB. */
export function readLog(path: string): { bytes: Buffer; complete: boolean } {
  try {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, LOG_READ_LIMIT);
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, size - len + got);
        if (n === 0) break;
        got += n;
      }
      return { bytes: buf.subarray(0, got), complete: got === size };
    } finally {
      closeSync(fd);
    }
  } catch {
    return { bytes: Buffer.alloc(0), complete: false };
  }
}

/** The last `lines` lines of a log's bytes. */
export function tailOf(bytes: Buffer, lines: number): string {
  return bytes.toString('utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').slice(-lines).join('\n');
}

/**
 * Moves the log a command left in its sandbox to the workspace's log path (a copy across
 * filesystems) and says whether `to` now holds it. The sandbox is the command's: anything but a
 * regular file there (a symbolic link to a host file, a FIFO) is not followed, and the log says
 * so. An empty log of a command that `succeeded` is not moved (a chown and a rename that
 * replaces a file, ~1.5 ms on these disks, for nothing to read): it stays in the sandbox, whose
 * next clearing deletes it, and an older log at `to` is removed, so `to` never shows another
 * run's output.
 */
export function moveLog(from: string, to: string, succeeded: boolean): boolean {
  let st;
  try {
    st = lstatSync(from);
  } catch { /* no log */ }
  if (succeeded && st?.isFile() && st.size === 0) {
    try {
      unlinkSync(to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return false;
  }
  if (!st?.isFile()) {
    rmSync(from, { force: true, recursive: true });
    writeFileSync(to, st ? '[xbuild: the command replaced its log with something other than a file; not read]\n' : '');
    return true;
  }
  // A log with a second link (one inode with a file the command keeps) gets its own: a copy.
  if (st.nlink === 1) {
    if (st.uid !== process.getuid?.()) chownSync(from, process.getuid!(), process.getgid!());
    try {
      renameSync(from, to);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    }
  }
  copyFileSync(from, to);
  unlinkSync(from);
  return true;
}
