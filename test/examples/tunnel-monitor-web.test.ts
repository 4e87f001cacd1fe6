/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page callbacks below run in Chromium, hence the DOM types.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runTunnelMonitor, type Flow } from '../../examples/networking/tunnel_monitor/tunnel_monitor.js';

// TSBCC_CHROMIUM points elsewhere (e.g. to check the skip path without uninstalling it)
const CHROMIUM = process.env.TSBCC_CHROMIUM ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const INNER_HOSTS = [
  ['192.168.10.1', '10'],
  ['192.168.10.2', '10'],
  ['192.168.20.1', '20'],
  ['192.168.20.2', '20'],
];

interface RibbonView {
  vni: string;
  a: string;
  b: string;
  aBytes: number;
  bBytes: number;
  aWidth: number;
  bWidth: number;
  box: { width: number; height: number };
}
interface DiagramView {
  capacity: number;
  hosts: string[][];
  arcBoxes: { width: number; height: number }[];
  ribbons: RibbonView[];
  legend: string[];
}

/** What the page shows, read from its live DOM (rendered geometry included). */
function view(page: Page): Promise<DiagramView> {
  return page.evaluate(() => {
    const box = (e: Element): { width: number; height: number } => {
      const b = (e as SVGGraphicsElement).getBBox();
      return { width: b.width, height: b.height };
    };
    const svg = document.querySelector('#chord')!;
    return {
      capacity: Number(svg.getAttribute('data-capacity')),
      hosts: [...svg.querySelectorAll('.host')].map((h) => [
        h.getAttribute('data-host') ?? '',
        h.getAttribute('data-vni') ?? '',
      ]),
      arcBoxes: [...svg.querySelectorAll('.host-arc')].map(box),
      ribbons: [...svg.querySelectorAll('.ribbon')].map((r) => ({
        vni: r.getAttribute('data-vni') ?? '',
        a: r.getAttribute('data-a') ?? '',
        b: r.getAttribute('data-b') ?? '',
        aBytes: Number(r.getAttribute('data-a-bytes')),
        bBytes: Number(r.getAttribute('data-b-bytes')),
        aWidth: Number(r.getAttribute('data-a-width')),
        bWidth: Number(r.getAttribute('data-b-width')),
        box: box(r),
      })),
      legend: [...document.querySelectorAll('#legend .vni')].map((e) => e.textContent ?? ''),
    };
  });
}

describe('tunnel_monitor web page (live chord diagram in headless Chromium, real traffic)', () => {
  it('draws one arc per inner host and a ribbon per flow, ribbons widen as traffic goes on, all removed at the end', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`tunnel-monitor-web: skipped, ${CHROMIUM} is missing (apt-get install -y chromium)`);
      ctx.skip();
      return;
    }
    const userDataDir = mkdtempSync(join(tmpdir(), 'tsbcc-chromium-'));
    const screenshot = join(tmpdir(), `tsbcc-tunnel-monitor-${randomBytes(4).toString('hex')}.png`);
    const lines: string[] = [];
    let pageUrl = '';
    let first: DiagramView | undefined;
    let later: DiagramView | undefined;
    let served: Flow[] = [];
    try {
      const r = await runTunnelMonitor({
        pings: 3,
        bytes: '1M',
        log: (l) => lines.push(l),
        serve: {
          port: 0,
          liveTraffic: { periodMs: 1000, bytes: '256K' },
          whileServing: async (url) => {
            pageUrl = url;
            const context = await chromium.launchPersistentContext(userDataDir, {
              executablePath: CHROMIUM,
              headless: true,
              args: CHROMIUM_ARGS,
              viewport: { width: 1100, height: 700 },
            });
            try {
              const page = context.pages()[0] ?? (await context.newPage());
              await page.goto(url);
              await page.waitForFunction(
                () =>
                  document.querySelectorAll('#chord .host').length === 4 &&
                  document.querySelectorAll('#chord .ribbon').length === 2,
                null,
                { timeout: 20_000 },
              );
              first = await view(page);
              // Wait until both directions of both flows grew on the page. The scale (bytes per
              // host arc) only steps up when the busiest host outgrows it; if it stepped, start
              // over from the new scale, so the widths compared are drawn on one scale.
              for (let attempt = 0; attempt < 5; attempt++) {
                await page.waitForFunction(
                  (before) => {
                    const svg = document.querySelector('#chord')!;
                    if (Number(svg.getAttribute('data-capacity')) !== before.capacity) return true;
                    const now = [...svg.querySelectorAll('.ribbon')];
                    return (
                      now.length === before.ribbons.length &&
                      now.every(
                        (r, i) =>
                          Number(r.getAttribute('data-a-bytes')) > before.ribbons[i]!.aBytes &&
                          Number(r.getAttribute('data-b-bytes')) > before.ribbons[i]!.bBytes,
                      )
                    );
                  },
                  first,
                  { timeout: 20_000 },
                );
                later = await view(page);
                if (later.capacity === first.capacity) break;
                first = later;
                later = undefined;
              }
              await page.screenshot({ path: screenshot, fullPage: true });
              served = (await (await fetch(`${url}flows.json`)).json()) as Flow[];
            } finally {
              await context.close();
            }
          },
        },
      });

      expect(first!.hosts).toEqual(INNER_HOSTS);
      expect(first!.legend).toEqual(['VNI 10', 'VNI 20']);
      for (const b of first!.arcBoxes) expect(b.width * b.height).toBeGreaterThan(0);
      expect(first!.ribbons.map((x) => [x.vni, x.a, x.b])).toEqual([
        ['10', '192.168.10.1', '192.168.10.2'],
        ['20', '192.168.20.1', '192.168.20.2'],
      ]);
      // what the page started from is at least what the run counted before serving
      for (const [i, f] of r.flows.entries()) {
        expect(first!.ribbons[i]!.aBytes).toBeGreaterThanOrEqual(f.aToBBytes);
        expect(first!.ribbons[i]!.bBytes).toBeGreaterThanOrEqual(f.bToABytes);
      }
      expect(later, 'the scale kept stepping up; no two views on one scale').toBeDefined();
      const l = later!;
      expect(l.capacity).toBe(first!.capacity);
      for (const [i, now] of l.ribbons.entries()) {
        const before = first!.ribbons[i]!;
        // both ends of every ribbon widened, and the rendered ribbon is a real shape
        expect(now.aWidth).toBeGreaterThan(before.aWidth);
        expect(now.bWidth).toBeGreaterThan(before.bWidth);
        expect(now.box.width * now.box.height).toBeGreaterThan(0);
        // widths are bytes on one scale for the whole diagram
        const perByte = l.ribbons[0]!.aWidth / l.ribbons[0]!.aBytes;
        expect(now.aWidth / now.aBytes).toBeCloseTo(perByte, 12);
        expect(now.bWidth / now.bBytes).toBeCloseTo(perByte, 12);
        // and never more than the JSON endpoint counted afterwards
        expect(now.aBytes).toBeLessThanOrEqual(served[i]!.aToBBytes);
        expect(now.bBytes).toBeLessThanOrEqual(served[i]!.bToABytes);
      }
      expect(statSync(screenshot).size).toBeGreaterThan(10_000);
      console.log(`tunnel-monitor-web: screenshot ${screenshot}`);
      expect(lines.some((x) => /live traffic stopped after \d+ rounds/.test(x))).toBe(true);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
      await expect(fetch(pageUrl)).rejects.toThrow();
    } finally {
      rmSync(userDataDir, { recursive: true, force: true });
    }
  });
});
