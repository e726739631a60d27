/**
 * `xbuild serve`: the live build dashboard of this workspace (serve/server.ts). Prints the
 * address as its first line on stdout and runs until interrupted.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { INSTALL_ROOT } from '../engine/installation.js';
import { UsageError } from './args.js';
import type { CommandContext } from './commandContext.js';

export async function serveCommand(ctx: CommandContext): Promise<number> {
  const { isLoopback, startServer } = await import('../serve/server.js');
  const host = (ctx.flags.bind as string | undefined) ?? '127.0.0.1';
  const port = (ctx.flags.port as number | undefined) ?? 8765;
  if (port < 0 || port > 65535) throw new UsageError(`--port ${port}: not a port number`);
  let token = ctx.flags.token as string | undefined;
  if (token !== undefined && token.length < 16) throw new UsageError('--token must be at least 16 characters (or leave it out on a non-loopback --bind and one is made)');
  const made = !token && !isLoopback(host);
  if (made) token = randomBytes(24).toString('base64url');
  let server;
  try {
    server = await startServer({ root: ctx.root, host, port, token, pageDir: join(INSTALL_ROOT, 'serve', 'page') }); // this installation's page
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      process.stderr.write(`xbuild serve: cannot listen on ${host}:${port} (${code}); choose another with --port or --bind\n`);
      return 2;
    }
    throw e;
  }
  process.stdout.write(`${server.url}\n`);
  process.stderr.write(isLoopback(host)
    ? `Serving the builds of ${ctx.root} on ${server.url} (loopback only; from another machine: ssh -L ${server.port}:127.0.0.1:${server.port} THIS-HOST, then open http://localhost:${server.port}/)\n`
    : `Serving the builds of ${ctx.root} on ${server.url}${made ? ' (a token was made for this run: every request must carry it)' : ''}\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.close();
  return 0;
}
