/**
 * Test rig for `xbuild serve`: the real CLI started on a temporary workspace (port 0), its
 * address read from the first line it prints, and raw HTTP requests (paths sent as written,
 * not normalised by a client) for the security cases.
 */
import { execa, type ResultPromise } from 'execa';
import { request } from 'node:http';
import { XBUILD, type TempWorkspace } from './cli.js';

export interface Served {
  readonly url: string;
  readonly port: number;
  readonly proc: ResultPromise;
  stop(): Promise<void>;
}

export async function startServe(ws: TempWorkspace, args: string[] = []): Promise<Served> {
  const proc = execa('node', [XBUILD, 'serve', '--port', '0', ...args], {
    cwd: ws.root, reject: false, env: { XBUILD_CACHE_DIR: ws.cacheDir, CI: '1' }, stdin: 'ignore', buffer: false,
  });
  const url = await new Promise<string>((ok, bad) => {
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) ok(out.split('\n')[0]);
    });
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    void proc.then((r) => bad(new Error(`xbuild serve exited (${r.exitCode}) before printing its address: ${err}`)));
  });
  const port = Number(new URL(url).port);
  return {
    url, port, proc,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

export interface RawResponse { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** A GET with the path exactly as given (`..` and `%2e` left for the server to see). */
export function rawGet(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((ok, bad) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { Host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', bad);
    req.end();
  });
}
