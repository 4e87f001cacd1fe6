/**
 * The tunnel_monitor web server: the chord diagram page (web/index.html, web/chord.js) and the
 * live flows as JSON (/flows.json, re-read on every request), on 127.0.0.1 only.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';

/** A running flow server; close() ends it (open connections included). */
export interface FlowServer {
  /** The page's address, `http://127.0.0.1:PORT/`; the JSON is at `${url}flows.json`. */
  readonly url: string;
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/chord.js': { file: 'chord.js', type: 'text/javascript; charset=utf-8' },
};

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : port;
}

/**
 * Serves the page from `webDir` and `flows()` as JSON on 127.0.0.1:port (0: any free port).
 * The page files are read once, here, so a missing file fails now rather than in the browser.
 * @throws Error from listen (e.g. EADDRINUSE) or from reading the page files.
 */
export async function startFlowServer(
  webDir: string,
  port: number,
  flows: () => unknown,
): Promise<FlowServer> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [path, { file, type }] of Object.entries(STATIC)) {
    files.set(path, { body: await readFile(join(webDir, file)), type });
  }
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    res.setHeader('cache-control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/flows.json') {
      let body: string;
      try {
        body = JSON.stringify(flows());
      } catch (e) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(e instanceof Error ? e.message : String(e));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const f = files.get(path);
    if (!f) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': f.type }).end(f.body);
  });
  const bound = await listen(server, port);
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
