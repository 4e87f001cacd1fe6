/** bpf: a SCHED_ACT program as an action (CONFIG_NET_ACT_BPF), given by its fd. */
import { attrs, decodeAttrs, nestPayload, struct } from '../../schema.js';
import { defineKind } from '../kind.js';
import { TC_ACT, TC_GEN } from '../tca.js';

/** struct tc_act_bpf. */
export const TC_ACT_BPF = struct('tc_act_bpf', TC_GEN);

/** act_bpf options (TCA_ACT_BPF_*). */
export const TCA_ACT_BPF = attrs('TCA_ACT_BPF', {
  TM: [1, 'binary'],
  PARMS: [2, TC_ACT_BPF],
  FD: [5, 'u32'],
  NAME: [6, 'string'],
  TAG: [8, 'binary'],
  ID: [9, 'u32'],
});

/** A bpf action: the fd of a loaded SCHED_ACT program. */
export interface BpfActionSpec {
  kind: 'bpf';
  fd: number;
  /** Name shown by tc. */
  name: string;
}

/** A bpf action as the kernel reports it. */
export interface BpfActionInfo {
  name?: string;
  programId?: number;
}

export default defineKind({
  object: 'action',
  kind: 'bpf',
  feature: {
    name: 'act_bpf',
    description: 'BPF program as a tc action',
    kernelOption: 'CONFIG_NET_ACT_BPF',
    fallback: 'direct-action classifier',
  },
  needsProgram: true,
  parse(s: BpfActionSpec, c) {
    if (typeof s.fd !== 'number' || !Number.isInteger(s.fd) || s.fd < 0) {
      c.add('', 'a bpf action needs a loaded SCHED_ACT program (its fd)');
    }
    if (typeof s.name !== 'string' || !s.name) c.add('name', 'a bpf action needs a name');
    return { fd: s.fd, name: s.name };
  },
  options: (p) => nestPayload(TCA_ACT_BPF, { PARMS: { action: TC_ACT.PIPE }, FD: p.fd, NAME: p.name }),
  decode(options): BpfActionInfo {
    const a = decodeAttrs(TCA_ACT_BPF, options);
    const info: BpfActionInfo = {};
    if (a.NAME !== undefined) info.name = a.NAME;
    if (a.ID !== undefined) info.programId = a.ID;
    return info;
  },
});
