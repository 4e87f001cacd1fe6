/**
 * Cheap yes/no questions about tracing features (BCC's `BPF.support_*`), for programs that
 * choose a hook before they compile. Each is answered once per process from files (PMUs,
 * tracefs, kallsyms, BTF) or one bpf() syscall probe: no netlink, no namespaces, nothing left
 * behind. `features()` (src/features) is the full, slower table with reasons.
 */
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { native } from '../native.js';
import { AttachType } from '../uapi/program-type.js';
import { kernelEnumHasValue } from '../core/kernel-btf.js';
import { ksymname } from './ksyms.js';
import { tracefsRoot } from './tracefs.js';

const answers = new Map<string, boolean>();

function once(name: string, f: () => boolean): boolean {
  let v = answers.get(name);
  if (v === undefined) {
    try {
      v = f();
    } catch {
      v = false;
    }
    answers.set(name, v);
  }
  return v;
}

const hasBtf = (): boolean => existsSync('/sys/kernel/btf/vmlinux');

/** Whether kprobes can be attached: the kprobe PMU or tracefs kprobe_events (CONFIG_KPROBE_EVENTS). */
export function supportKprobes(): boolean {
  return once('kprobes', () => {
    if (existsSync('/sys/bus/event_source/devices/kprobe/type')) return true;
    const root = tracefsRoot();
    return root !== undefined && existsSync(join(root, 'kprobe_events'));
  });
}

/** Whether uprobes can be attached (the uprobe PMU or tracefs uprobe_events; CONFIG_UPROBE_EVENTS). */
export function supportUprobes(): boolean {
  return once('uprobes', () => {
    if (existsSync('/sys/bus/event_source/devices/uprobe/type')) return true;
    const root = tracefsRoot();
    return root !== undefined && existsSync(join(root, 'uprobe_events'));
  });
}

/** Whether raw tracepoints attach (BCC's support_raw_tracepoint; tried with one bpf() call). */
export function supportRawTracepoint(): boolean {
  return once('raw_tracepoint', () => native().probeRawTracepoint('sched_switch') === 0);
}

/** Whether raw tracepoints of modules attach (BCC's support_raw_tracepoint_in_module; Linux 5.0+). */
export function supportRawTracepointInModule(): boolean {
  return once(
    'raw_tracepoint_in_module',
    () => supportRawTracepoint() && ksymname('bpf_trace_modules') !== -1n,
  );
}

/**
 * Whether fentry/fexit programs (kfunc/kretfunc) load and attach (BCC's support_kfunc). BCC
 * looks for the trampoline symbol; this tries one, because kernels exist (this project's is one)
 * that have the symbol and still refuse trampolines.
 */
export function supportKfunc(): boolean {
  return once(
    'kfunc',
    () =>
      arch() === 'x64' &&
      hasBtf() &&
      native().probeTracing('bpf_fentry_test1', AttachType.TRACE_FENTRY) === 0,
  );
}

/**
 * Whether BPF LSM programs can run (BCC's support_lsm). BCC looks for the `bpf_lsm_bpf` hook
 * symbol; this loads and attaches a program on it (the symbol is there whenever
 * CONFIG_BPF_LSM is, even when "bpf" is not in the active lsm= list and nothing can attach).
 */
export function supportLsm(): boolean {
  return once('lsm', () => hasBtf() && ksymname('bpf_lsm_bpf') !== -1n && native().probeLsm() === 0);
}

/** Whether fmod_ret programs are possible (BCC's support_fmod_ret): BPF_MODIFY_RETURN and trampolines. */
export function supportFmodRet(): boolean {
  return once('fmod_ret', () => kernelEnumHasValue('bpf_attach_type', 'BPF_MODIFY_RETURN') && supportKfunc());
}

/** Forgets the cached answers (for tests). */
export function resetSupportCache(): void {
  answers.clear();
}
