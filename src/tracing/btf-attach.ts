/**
 * fentry/fexit (kfunc__/kretfunc__) and LSM (lsm__) programs: loaded with the BTF target their
 * section names, attached with BPF_RAW_TRACEPOINT_OPEN(NULL). Kernels without BPF trampolines or
 * the BPF LSM refuse them with EPERM/EOPNOTSUPP/ENOTSUPP, which becomes a NotSupportedError
 * naming the kernel option.
 */
import { NotSupportedError } from '../errors.js';
import type { Program } from '../core/program.js';
import { attachBtfProgram } from './attach.js';
import type { FdLink } from './fd-link.js';

/** Which kind of BTF-attached program. */
export type BtfAttachKind = 'kfunc' | 'kretfunc' | 'lsm';

const REFUSED = new Set([1 /* EPERM */, 95 /* EOPNOTSUPP */, 524 /* ENOTSUPP */]);

function notSupported(kind: BtfAttachKind): NotSupportedError {
  return kind === 'lsm'
    ? new NotSupportedError(
        'LSM programs',
        'CONFIG_BPF_LSM (and "bpf" in the lsm= boot list)',
        'attach to a tracepoint or raw tracepoint instead',
      )
    : new NotSupportedError(
        'fentry/fexit (BPF trampolines)',
        'CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS',
        'attach to a tracepoint or raw tracepoint instead',
      );
}

/**
 * Loads (through `load`) and attaches a kfunc/kretfunc/lsm program.
 * @throws NotSupportedError where the kernel refuses such programs; VerifierError and
 *   SyscallError otherwise.
 */
export function loadAndAttachBtf(kind: BtfAttachKind, load: () => Program): FdLink {
  let prog: Program;
  try {
    prog = load();
  } catch (e) {
    if (REFUSED.has((e as { errno?: number }).errno ?? 0)) throw notSupported(kind);
    throw e;
  }
  try {
    return attachBtfProgram(prog, kind);
  } catch (e) {
    if (REFUSED.has((e as { errno?: number }).errno ?? 0)) throw notSupported(kind);
    throw e;
  }
}
