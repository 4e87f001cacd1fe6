/**
 * hardirqs and softirqs during traffic the test makes between two namespaces (spaced pings,
 * each answered by a NET_RX softirq on both ends) and direct disk I/O (device interrupts).
 * Both tools use the irq tracepoints on every kernel.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { features } from '../../src/features/index.js';
import { nsExec, vethPair, type VethPairFixture } from './helpers/netns.js';
import { ToolRun } from './helpers/tool-run.js';

const fs = await features();
const noTracing = fs.missingReason('tracepoints');
const runs: ToolRun[] = [];
let net: VethPairFixture | undefined;
let dir = '';

beforeAll(() => {
  net = vethPair();
  dir = mkdtempSync(join(tmpdir(), 'tsbcc-irq-'));
});
afterAll(() => {
  net?.destroy();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  for (const r of runs.splice(0)) r.kill();
});

const PINGS = 100;

/** Spaced pings ns1 -> ns2: every request arrives on its own and raises NET_RX. */
function pings(): void {
  if (!net) throw new Error('no namespaces');
  nsExec(net.ns1, ['ping', '-q', '-c', String(PINGS), '-i', '0.005', net.ip2]);
}

function totals(r: ToolRun, header: RegExp): Map<string, number> {
  const out = new Map<string, number>();
  const at = r.lines.findIndex((l) => header.test(l));
  for (const l of r.lines.slice(at + 1)) {
    const m = /^(\S.*?)\s+(\d+)$/.exec(l);
    if (m?.[1] && m[2]) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

describe.skipIf(noTracing)('tools: interrupts', () => {
  if (noTracing) console.log(`skipped: ${noTracing}`);

  it('softirqs -C counts a NET_RX softirq for each of the spaced pings between namespaces', async () => {
    const r = ToolRun.start(['softirqs', '-C']);
    runs.push(r);
    await r.line(/^Tracing soft irq events\.\.\. Hit Ctrl-C to end\.$/);
    pings();
    expect(await r.interrupt()).toBe(0);
    const t = totals(r, /^SOFTIRQ\s+TOTAL_count$/);
    // each request arrives 5 ms after the last; the reply is sent and received within the
    // NET_RX softirq that handles the request (veth hands it to the backlog being drained)
    expect(t.get('net_rx') ?? 0).toBeGreaterThanOrEqual(PINGS);
  });

  it('softirqs (time) and hardirqs see work during traffic and direct disk I/O', async () => {
    const soft = ToolRun.start(['softirqs']);
    const hard = ToolRun.start(['hardirqs', '-C']);
    runs.push(soft, hard);
    await soft.line(/^Tracing soft irq event time/);
    await hard.line(/^Tracing hard irq events/);
    pings();
    execFileSync('dd', ['if=/dev/zero', `of=${join(dir, 'f')}`, 'bs=4k', 'count=64', 'oflag=direct'], {
      stdio: 'ignore',
    });
    expect(await soft.interrupt()).toBe(0);
    expect(await hard.interrupt()).toBe(0);
    expect(totals(soft, /^SOFTIRQ\s+TOTAL_usecs$/).get('net_rx') ?? 0).toBeGreaterThan(0);
    const irqs = totals(hard, /^HARDIRQ\s+TOTAL_count$/);
    expect([...irqs.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });
});
