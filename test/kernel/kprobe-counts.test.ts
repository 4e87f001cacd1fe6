// Kernel-function probes count calls exactly: the test calls getpriority(2) a known number of
// times, and a kprobe and a kretprobe (BCC's kprobe__sys_getpriority, mapped to this kernel's
// __x64_sys_getpriority), then an fentry and an fexit program (KFUNC_PROBE/KRETFUNC_PROBE) on
// the same function see each call once; the return probes also read the return value. This
// machine's kernel has neither kprobes nor fentry: the tests skip here (the reason printed) and
// run in the Debian 6.1 VM lane (test/vm/lane.ts).
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BPF, fixSyscallFnname } from '../../src/index.js';
import { requireFeatures } from './helpers/require-features.js';

const text = (pid: number): string => `
#include <uapi/linux/ptrace.h>
BPF_ARRAY(calls, u64, 2);
BPF_ARRAY(last_rc, s64, 1);

static inline int mine(void) { return (bpf_get_current_pid_tgid() >> 32) == ${pid}; }

int kprobe__sys_getpriority(struct pt_regs *ctx) {
  if (mine()) calls.increment(0);
  return 0;
}

int on_return(struct pt_regs *ctx) {
  if (!mine()) return 0;
  calls.increment(1);
  int k = 0;
  s64 rc = PT_REGS_RC(ctx);
  last_rc.update(&k, &rc);
  return 0;
}
`;

describe('kernel function probes counted with calls the test makes', () => {
  it('a kprobe and a kretprobe on the getpriority syscall count 25 calls exactly', async (ctx) => {
    await requireFeatures(ctx, 'kprobes');
    const b = await BPF.create({ text: text(process.pid), name: 'kprobe_counts' });
    try {
      const fn = fixSyscallFnname('sys_getpriority');
      b.attachKretprobe({ event: fn, fnName: 'on_return' });
      expect(b.numOpenKprobes()).toBe(2);
      const calls = b.table<number, bigint>('calls');
      expect([calls.get(0), calls.get(1)]).toEqual([0n, 0n]);
      let nice = 0;
      for (let i = 0; i < 25; i++) nice = getPriority();
      expect(calls.get(0), `kprobe on ${fn}`).toBe(25n);
      expect(calls.get(1), `kretprobe on ${fn}`).toBe(25n);
      // The raw syscall returns 20 - nice (libc turns it back into the nice value).
      expect(b.table<number, bigint>('last_rc').get(0)).toBe(BigInt(20 - nice));

      b.detachKretprobe(fn);
      for (let i = 0; i < 5; i++) getPriority();
      expect(calls.get(0)).toBe(30n);
      expect(calls.get(1)).toBe(25n);
      b.detachKprobe(fn);
      getPriority();
      expect(calls.get(0)).toBe(30n);
      expect(b.numOpenKprobes()).toBe(0);
    } finally {
      b.close();
    }
  });

  it('fentry and fexit programs on the getpriority syscall count 25 calls exactly', async (ctx) => {
    await requireFeatures(ctx, 'fentry');
    const fn = fixSyscallFnname('sys_getpriority');
    const b = await BPF.create({
      name: 'fentry_counts',
      text: `
BPF_ARRAY(calls, u64, 2);
BPF_ARRAY(last_rc, s64, 1);
static inline int mine(void) { return (bpf_get_current_pid_tgid() >> 32) == ${process.pid}; }
KFUNC_PROBE(${fn}, const struct pt_regs *regs) {
  if (mine()) calls.increment(0);
  return 0;
}
KRETFUNC_PROBE(${fn}, const struct pt_regs *regs, long ret) {
  if (!mine()) return 0;
  calls.increment(1);
  int k = 0;
  s64 rc = ret;
  last_rc.update(&k, &rc);
  return 0;
}
`,
    });
    try {
      const calls = b.table<number, bigint>('calls');
      let nice = 0;
      for (let i = 0; i < 25; i++) nice = getPriority();
      expect(calls.get(0), `fentry on ${fn}`).toBe(25n);
      expect(calls.get(1), `fexit on ${fn}`).toBe(25n);
      expect(b.table<number, bigint>('last_rc').get(0)).toBe(BigInt(20 - nice));
    } finally {
      b.close();
    }
  });
});
