// The kprobe rows of the tracing API (docs/bcc-api.md) on a kernel with kprobes: regex attach,
// kretprobe maxactive through tracefs kprobe_events, and the error BPF.create gives for a kprobe
// that cannot attach. This kernel has no kprobes: the first test skips and the second checks the
// NotSupportedError path; the Debian 6.1 VM lane (test/vm/lane.ts) runs both for real.
import { existsSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BPF,
  fixSyscallFnname,
  getKprobeFunctions,
  InvalidArgumentError,
  NotSupportedError,
  supportKprobes,
  TsbccError,
} from '../../src/index.js';
import { KPROBE_BLACKLIST } from '../../src/tracing/kprobe-functions.js';
import { tracefsRoot } from '../../src/tracing/tracefs.js';
import { requireFeatures } from './helpers/require-features.js';

const COUNTERS = `
BPF_ARRAY(hits, u64, 4);
static inline void hit(int k) { u64 *v = hits.lookup(&k); if (v) __sync_fetch_and_add(v, 1); }
static inline int mine() { return (bpf_get_current_pid_tgid() >> 32) == ${process.pid}; }
int on_entry(struct pt_regs *ctx) { if (mine()) hit(0); return 0; }
int on_return(struct pt_regs *ctx) { if (mine()) hit(1); return 0; }
`;

const hits = (b: BPF, k: number): bigint => b.table<number, bigint>('hits').get(k) ?? 0n;
const kprobeEvents = (): string => {
  const f = join(tracefsRoot() ?? '/sys/kernel/tracing', 'kprobe_events');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
};

describe('kprobe rows of the tracing API', () => {
  let b: BPF | undefined;
  afterEach(() => {
    b?.close();
    b = undefined;
  });

  it('kprobe by regex and kretprobe with maxactive count every call, and their tracefs events go with close', async (ctx) => {
    await requireFeatures(ctx, 'kprobes');
    const fn = fixSyscallFnname('sys_getpriority');
    expect(getKprobeFunctions(fn)).toEqual([fn]);
    expect(getKprobeFunctions(`${fn.slice(0, -3)}.*`)).toContain(fn); // fullmatch with a wildcard
    expect(getKprobeFunctions(fn.slice(0, -1))).toEqual([]); // a prefix is not a full match
    if (existsSync(KPROBE_BLACKLIST)) {
      const black = readFileSync(KPROBE_BLACKLIST, 'utf8')
        .split('\n')
        .map((l) => l.split(/\s+/)[1])
        .filter((x): x is string => !!x);
      const all = new Set(getKprobeFunctions('.*'));
      expect(black.length).toBeGreaterThan(0);
      expect(black.filter((x) => all.has(x))).toEqual([]);
    }
    b = await BPF.create({ text: COUNTERS });
    const links = b.attachKprobe({
      eventRe: `${fn.slice(0, -'getpriority'.length)}getpriorit[y]`,
      fnName: 'on_entry',
    });
    expect(links.map((l) => l.target)).toEqual([fn]);
    const ret = b.attachKretprobe({ event: fn, fnName: 'on_return', maxactive: 16 });
    const event = new RegExp(`^r16:kprobes/(tsbcc_${process.pid}_\\d+_\\w+) ${fn}$`, 'm');
    const name = event.exec(kprobeEvents())?.[1];
    expect(name, kprobeEvents()).toBeDefined();
    for (let i = 0; i < 3; i++) getPriority();
    expect(hits(b, 0)).toBe(3n);
    expect(hits(b, 1)).toBe(3n);
    expect(b.numOpenKprobes()).toBe(2);
    ret.closeSync();
    expect(kprobeEvents()).not.toContain(name);
    getPriority();
    expect(hits(b, 1)).toBe(3n);
    expect(() => b?.attachKprobe({ eventRe: 'no_such_function_[0-9]+', fnName: 'on_entry' })).toThrow(
      InvalidArgumentError,
    );
  });

  it('BPF.create with a kprobe that cannot attach names the function, why, and what to use instead', async () => {
    const text = 'int kprobe__tcp_v4_connect(struct pt_regs *ctx) { return 0; }';
    if (supportKprobes()) {
      const ok = await BPF.create({ text });
      expect(ok.numOpenKprobes()).toBe(1);
      ok.close();
      const err = await BPF.create({
        text: 'int kprobe__no_such_fn_tsbcc(struct pt_regs *ctx) { return 0; }',
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TsbccError);
      expect((err as Error).message).toMatch(
        /^kprobe__no_such_fn_tsbcc: cannot attach a kprobe to no_such_fn_tsbcc: the kernel refused no_such_fn_tsbcc \(.*\): it is not a probeable function/,
      );
      expect((err as Error).message).toContain('autoAttach: false');
      return;
    }
    const err = await BPF.create({ text }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NotSupportedError);
    const msg = (err as Error).message;
    expect(msg).toMatch(
      /^kprobe__tcp_v4_connect: kprobe on tcp_v4_connect is not supported by the running kernel \(needs CONFIG_KPROBE_EVENTS\); the kernel has no kprobes;/,
    );
    expect(msg).toContain(
      'create it with autoAttach: false and attach tracepoint sock:inet_sock_set_state (TRACEPOINT_PROBE(sock, inet_sock_set_state)',
    );
    expect((err as NotSupportedError).kernelOption).toBe('CONFIG_KPROBE_EVENTS');
  });
});
