/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// The page callbacks below run in Chromium, hence the DOM types.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  runTunnelMonitor,
  type TunnelMonitorControl,
} from '../../examples/networking/tunnel_monitor/tunnel_monitor.js';
import type { FlowSample } from '../../src/index.js';

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
// Screenshots are kept as test artifacts here (CI uploads the directory).
const ARTIFACTS = resolve(process.env.TSBCC_ARTIFACTS ?? 'artifacts', 'tunnel_monitor');

type Served = FlowSample & { hosts: Record<string, string>; vnis: number[] };

interface Drawn {
  seq: number;
  view: string;
  focus: string;
  vni: string;
  groups: Record<string, number>;
  ribbons: Record<string, [number, number]>;
  totals: Record<string, string>;
}

/** The drawing as the DOM has it: group values and ribbon ends (bytes), totals. */
function drawn(page: Page): Promise<Drawn> {
  return page.evaluate(() => {
    const svg = document.querySelector('#chord')!;
    const groups: Record<string, number> = {};
    for (const g of svg.querySelectorAll('.group'))
      groups[g.getAttribute('data-node')!] = Number(g.getAttribute('data-value'));
    const ribbons: Record<string, [number, number]> = {};
    for (const r of svg.querySelectorAll('.ribbon')) {
      ribbons[`${r.getAttribute('data-source')}|${r.getAttribute('data-target')}`] = [
        Number(r.getAttribute('data-source-bytes')),
        Number(r.getAttribute('data-target-bytes')),
      ];
    }
    const totals: Record<string, string> = {};
    for (const td of document.querySelectorAll('#totals td.n'))
      totals[(td as HTMLElement).dataset.key!] = td.textContent ?? '';
    return {
      seq: Number(svg.getAttribute('data-seq')),
      view: svg.getAttribute('data-view') ?? '',
      focus: svg.getAttribute('data-focus') ?? '',
      vni: svg.getAttribute('data-vni') ?? '',
      groups,
      ribbons,
      totals,
    };
  });
}

/** Moves the mouse onto the middle of a group's arc (its centre may be covered by ribbons). */
async function pointAt(page: Page, node: string): Promise<{ x: number; y: number }> {
  const p = await page.evaluate((n) => {
    const svg = document.querySelector('#chord') as SVGSVGElement;
    const g = svg.querySelector(`.group[data-node="${n}"]`)!;
    const box = svg.getBoundingClientRect();
    const vb = svg.viewBox.baseVal;
    return {
      x: box.left + ((Number(g.getAttribute('data-cx')) - vb.x) / vb.width) * box.width,
      y: box.top + ((Number(g.getAttribute('data-cy')) - vb.y) / vb.height) * box.height,
    };
  }, node);
  await page.mouse.move(p.x, p.y);
  return p;
}

/**
 * What the data says the drawing must be, computed here independently: the bytes each node sent
 * (its group), and per pair of nodes the bytes each sent to the other (a ribbon's two ends).
 */
function expected(
  data: Served,
  vni: string,
  focus?: string,
): Omit<Drawn, 'seq' | 'view' | 'focus' | 'vni' | 'totals'> & { flows: number; packets: number } {
  let flows = data.flows.filter((f) => vni === 'all' || String(f.vni) === vni);
  if (focus) flows = flows.filter((f) => f.outerA === focus || f.outerB === focus);
  const node = (f: (typeof flows)[number], side: 'A' | 'B'): string => {
    const outer = side === 'A' ? f.outerA : f.outerB;
    if (!focus) return outer;
    return f.ipv4 ? (side === 'A' ? f.innerA : f.innerB) : `non-IPv4@${outer}`;
  };
  const groups: Record<string, number> = {};
  const sent = new Map<string, number>();
  for (const f of flows) {
    const a = node(f, 'A');
    const b = node(f, 'B');
    groups[a] = (groups[a] ?? 0) + f.txBytes;
    groups[b] = (groups[b] ?? 0) + f.rxBytes;
    sent.set(`${a}|${b}`, (sent.get(`${a}|${b}`) ?? 0) + f.txBytes);
    sent.set(`${b}|${a}`, (sent.get(`${b}|${a}`) ?? 0) + f.rxBytes);
  }
  return {
    groups,
    ribbons: Object.fromEntries(
      [...sent.keys()].map((k) => [k, [sent.get(k)!, sent.get(k.split('|').reverse().join('|'))!]]),
    ),
    flows: flows.length,
    packets: flows.reduce((n, f) => n + f.txPackets + f.rxPackets, 0),
  };
}

/** Every ribbon drawn has the bytes the data gives its two ends (d3 picks which end is the source). */
function expectDrawing(d: Drawn, want: ReturnType<typeof expected>): void {
  expect(d.groups).toEqual(want.groups);
  expect(Object.keys(d.ribbons).length).toBeGreaterThan(0);
  for (const [key, ends] of Object.entries(d.ribbons)) expect(ends, key).toEqual(want.ribbons[key]);
  // and every pair that exchanged bytes has its ribbon
  const pairs = new Set(Object.keys(d.ribbons).map((k) => k.split('|').sort().join('|')));
  for (const [key, [ab, ba]] of Object.entries(want.ribbons)) {
    if (ab + ba > 0) expect(pairs.has(key.split('|').sort().join('|')), key).toBe(true);
  }
  expect(d.totals.flows).toBe(String(want.flows));
  expect(d.totals.packets).toBe(String(want.packets));
}

describe('tunnel_monitor dashboard (d3 chord diagram in headless Chromium, live flows of 9 hosts)', () => {
  it('updates live, and selecting a VNI and clicking a host redraw the diagram as the data says', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      console.log(`skipped: ${CHROMIUM} is missing (scripts/bootstrap.sh installs chromium)`);
      ctx.skip();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const userDataDir = mkdtempSync(join(tmpdir(), 'tsbcc-chromium-'));
    let release: () => void = () => undefined;
    const stopped = new Promise<string>((r) => (release = () => r('test done')));
    let ready: (c: TunnelMonitorControl) => void = () => undefined;
    const serving = new Promise<TunnelMonitorControl>((r) => (ready = r));
    const lines: string[] = [];
    const run = runTunnelMonitor({
      mode: { kind: 'interactive', waitForStop: () => stopped },
      port: 0,
      seed: 11,
      pairs: 24,
      sampleMs: 1000,
      roundSeconds: 4,
      log: (l) => lines.push(l),
      onServing: ready,
    });
    const shots: string[] = [];
    try {
      const c = await Promise.race([
        serving,
        run.then(() => Promise.reject(new Error('the example ended early'))),
      ]);
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1300, height: 780 },
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        const shot = async (name: string): Promise<void> => {
          const path = join(ARTIFACTS, `${name}.png`);
          await page.screenshot({ path });
          shots.push(path);
        };
        await page.goto(c.url);
        await page.waitForFunction(() => document.querySelectorAll('#chord .group').length >= 2, null, {
          timeout: 30_000,
        });
        // Live: without a reload, a newer sample with more packets is drawn.
        await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
        const first = await drawn(page);
        await page.waitForFunction(
          (before) => {
            const seq = Number(document.querySelector('#chord')!.getAttribute('data-seq'));
            const packets = Number(document.querySelector('#totals td.n[data-key="packets"]')?.textContent);
            return seq > before.seq && packets > Number(before.totals.packets);
          },
          first,
          { timeout: 30_000 },
        );
        expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
        await shot('1-endpoints-live');

        // Still data: pause the traffic and the periodic samples, then sample twice (the second
        // changes nothing); the page shows that last sample until the end.
        await c.pauseTraffic();
        c.sampleNow();
        const still = c.sampleNow();
        expect(still.delta.packets).toBe(0);
        const data = (await (await fetch(`${c.url}flows.json`)).json()) as Served;
        expect(data.seq).toBe(still.seq);
        await page.waitForFunction(
          (seq) => document.querySelector('#chord')!.getAttribute('data-seq') === String(seq),
          still.seq,
        );
        const all = await drawn(page);
        expect([all.view, all.vni]).toEqual(['endpoints', 'all']);
        expectDrawing(all, expected(data, 'all'));
        expect(Object.keys(all.groups).length).toBe(9); // the plan spreads over all 9 hosts
        expect((await page.locator('#delta td.n[data-key="packets"]').textContent())?.trim()).toBe('0');

        // Select a VNI: only its flows, only its endpoints.
        await page.click('#vnis input[value="10001"]');
        await page.waitForFunction(
          () => document.querySelector('#chord')!.getAttribute('data-vni') === '10001',
        );
        const vni = await drawn(page);
        const wantVni = expected(data, '10001');
        expectDrawing(vni, wantVni);
        expect(Object.keys(vni.groups).length).toBeLessThan(Object.keys(all.groups).length);
        // an endpoint's tooltip names the host and what it sent and received in this VNI
        const some = Object.keys(vni.groups)[0]!;
        await pointAt(page, some);
        expect(await page.locator('#tooltip').textContent()).toMatch(
          new RegExp(`^${data.hosts[some]} \\(${some.replaceAll('.', '\\.')}\\)\\nsent .* in \\d+ packets`),
        );
        await shot('2-vni-10001');

        // Click the busiest endpoint of that VNI: its inner traffic.
        const busiest = Object.entries(vni.groups).sort((x, y) => y[1] - x[1])[0]![0];
        const at = await pointAt(page, busiest);
        await page.mouse.click(at.x, at.y);
        await page.waitForFunction(
          (h) => document.querySelector('#chord')!.getAttribute('data-focus') === h,
          busiest,
        );
        const inner = await drawn(page);
        expect([inner.view, inner.vni]).toEqual(['inner', '10001']);
        expectDrawing(inner, expected(data, '10001', busiest));
        for (const node of Object.keys(inner.groups))
          expect(node).toMatch(/^(192\.168\.1\.\d+|non-IPv4@172\.16\.1\.\d+)$/);
        // tooltips say what a group is and what it sent and received
        const clientOfHost = Object.keys(inner.groups).find(
          (n) => n === `192.168.1.${Number(busiest.split('.')[3]) - 99}`,
        )!;
        await pointAt(page, clientOfHost);
        const tip = await page.locator('#tooltip').textContent();
        expect(tip).toContain(`${clientOfHost} (client at ${data.hosts[busiest]} (${busiest}))`);
        expect(tip).toMatch(/sent .* in \d+ packets[\s\S]*received .* in \d+ packets/);
        await shot('3-inner-traffic');

        // Back to the endpoints, still on that VNI.
        await page.click('#back');
        await page.waitForFunction(
          () => document.querySelector('#chord')!.getAttribute('data-view') === 'endpoints',
        );
        expectDrawing(await drawn(page), wantVni);

        // The same flows in Prometheus' format.
        const metrics = await (await fetch(`${c.url}metrics`)).text();
        const f = data.flows.find((x) => x.ipv4 && x.txPackets > 0)!;
        expect(metrics).toContain(
          `tsbcc_vxlan_flow_packets_total{outer_src="${f.outerA}",outer_dst="${f.outerB}",vni="${f.vni}",inner_src="${f.innerA}",inner_dst="${f.innerB}"} ${f.txPackets}`,
        );
      } finally {
        await context.close();
      }
    } finally {
      release();
      rmSync(userDataDir, { recursive: true, force: true });
    }
    const r = await run;
    for (const s of shots) expect(statSync(s).size).toBeGreaterThan(10_000);
    console.log(`tunnel-monitor-web: screenshots in ${ARTIFACTS}`);
    expect(lines.some((l) => /traffic stopped after \d+ rounds/.test(l))).toBe(true);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(r.prefix);
  });
});
