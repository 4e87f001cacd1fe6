/**
 * The vxlan flow dashboard's HTTP server (tunnel_monitor's page, `tsbcc flowmon --metrics`):
 * the page (examples/networking/tunnel_monitor/web/index.html and the d3 bundle built from
 * web/dashboard.js into dist/web/), the latest flow sample as JSON (/flows.json), and the flow
 * counters in Prometheus exposition format (/metrics).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TsbccError } from '../errors.js';
import type { FlowSample } from '../recipes/vxlan-flow-monitor.js';
import { http } from '../util/node-builtins.js';

/** What the dashboard reads besides the flows: names for the endpoints, the VNIs. */
export interface DashboardInfo {
  /** Outer (underlay) address -> host name (addresses without a name are shown as they are). */
  hosts: Record<string, string>;
  vnis: number[];
}

/** A running server; close() ends it (open connections included). */
export interface DashboardServer {
  /** `http://ADDR:PORT/` */
  readonly url: string;
  /** The port it listens on (the one chosen when 0 was asked). */
  readonly port: number;
  close(): Promise<void>;
}

/** Options of {@link startDashboard}. */
export interface DashboardOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (0: any free port). */
  port: number;
  /** Names and VNIs; a function is called on every /flows.json. */
  info: DashboardInfo | (() => DashboardInfo);
  /** The latest sample (taken by the caller on its interval). */
  sample: () => FlowSample;
  /** Prometheus exposition text and its content type. */
  metrics: () => Promise<{ body: string; contentType: string }>;
}

/** The tsbcc package root above this module (a checkout or an installed package). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && existsSync(join(dir, 'examples'))) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tsbcc') return dir;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir)
      throw new TsbccError(`cannot find the tsbcc package above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The page and its script: where they are in the package. */
export function dashboardFiles(): { page: string; bundle: string } {
  const root = packageRoot();
  return {
    page: join(root, 'examples', 'networking', 'tunnel_monitor', 'web', 'index.html'),
    bundle: join(root, 'dist', 'web', 'tunnel_monitor', 'dashboard.js'),
  };
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

/**
 * Serves the dashboard, /flows.json and /metrics.
 * @throws TsbccError when the page bundle has not been built; the listen error (EADDRINUSE,
 * EADDRNOTAVAIL ...).
 */
export async function startDashboard(opts: DashboardOptions): Promise<DashboardServer> {
  const { page: pagePath, bundle } = dashboardFiles();
  if (!existsSync(bundle)) {
    throw new TsbccError(
      `the dashboard page is not built (${bundle} is missing): run npm run build:web`,
      'ENOENT',
    );
  }
  const page = await readFile(pagePath);
  const script = await readFile(bundle);
  const info = typeof opts.info === 'function' ? opts.info : () => opts.info as DashboardInfo;
  const server = http().createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
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
            .end(JSON.stringify({ ...info(), ...opts.sample() }));
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
  const host = opts.host ?? '127.0.0.1';
  const bound = await listen(server, host, opts.port);
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}/`,
    port: bound,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
