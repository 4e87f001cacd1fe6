/**
 * tunnel_monitor's web server, on 127.0.0.1 only: the dashboard (web/index.html and the d3
 * bundle built from web/dashboard.js into dist/), the latest flow sample as JSON
 * (/flows.json), and the flow counters as Prometheus metrics (/metrics).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { TsbccError, type FlowSample } from '../../../src/index.js';
import { packageRootOf, sourceDirOf } from '../../common/paths.js';

/** What the dashboard reads besides the flows: names for the endpoints, the VNIs. */
export interface DashboardInfo {
  /** Outer (underlay) address -> host name. */
  hosts: Record<string, string>;
  vnis: number[];
}

/** A running server; close() ends it (open connections included). */
export interface DashboardServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Where the built page script is (`npm run build:web`, run by bootstrap). */
export function dashboardBundlePath(): string {
  return join(packageRootOf(import.meta.url), 'dist', 'web', 'tunnel_monitor', 'dashboard.js');
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

/**
 * Serves the dashboard on 127.0.0.1:port (0: any free port).
 * @throws TsbccError when the page bundle has not been built; the listen error (EADDRINUSE ...).
 */
export async function startDashboard(opts: {
  port: number;
  info: DashboardInfo;
  /** The latest sample (taken by the caller on its interval). */
  sample: () => FlowSample;
  /** Prometheus exposition text and its content type. */
  metrics: () => Promise<{ body: string; contentType: string }>;
}): Promise<DashboardServer> {
  const bundle = dashboardBundlePath();
  if (!existsSync(bundle)) {
    throw new TsbccError(
      `the dashboard page is not built (${bundle} is missing): run npm run build:web`,
      'ENOENT',
    );
  }
  const page = await readFile(join(sourceDirOf(import.meta.url), 'web', 'index.html'));
  const script = await readFile(bundle);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    res.setHeader('cache-control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const fail = (e: unknown): void => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(e instanceof Error ? e.message : String(e));
    };
    switch (path) {
      case '/':
      case '/index.html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
        return;
      case '/dashboard.js':
        res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
        return;
      case '/flows.json':
        try {
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ ...opts.info, ...opts.sample() }));
        } catch (e) {
          fail(e);
        }
        return;
      case '/metrics':
        opts.metrics().then((m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body), fail);
        return;
      case '/favicon.ico':
        res.writeHead(204).end();
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
    }
  });
  const bound = await listen(server, opts.port);
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
