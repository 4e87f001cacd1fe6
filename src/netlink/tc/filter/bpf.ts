/**
 * cls_bpf: a BPF program (given by its fd) as a classifier (CONFIG_NET_CLS_BPF), in
 * direct-action mode (the program's return value is the verdict) or classid mode (the return
 * value picks a class and the filter's actions run on a match).
 */
import { attrs, decodeAttrs, nestPayload } from '../../schema.js';
import { defineKind } from '../kind.js';
import { PARENT_EGRESS, PARENT_INGRESS, TC_H, tcMajor } from '../tca.js';
import type { HandleInput } from '../units.js';

/** What a filter name may be (tsbcc puts its prefix before it on the wire). */
export const TC_FILTER_NAME = /^[\w.-]{1,200}$/;

/** cls_bpf options (TCA_BPF_*). */
export const TCA_BPF = attrs('TCA_BPF', {
  /** The actions: a TCA_ACT list (../tca.ts ACTION_LIST), encoded by ../filter.ts. */
  ACT: [1, 'payload'],
  POLICE: [2, 'binary'],
  CLASSID: [3, 'u32'],
  FD: [6, 'u32'],
  NAME: [7, 'string'],
  FLAGS: [8, 'u32'],
  FLAGS_GEN: [9, 'u32'],
  TAG: [10, 'binary'],
  ID: [11, 'u32'],
});

/** TCA_BPF_FLAG_ACT_DIRECT: the program's return value is the verdict. */
export const TCA_BPF_FLAG_ACT_DIRECT = 1;

/** A cls_bpf filter's options. */
export interface BpfFilterSpec {
  kind: 'bpf';
  /** The SCHED_CLS program's fd (needed to encode; a plain-data description has none). */
  fd?: number;
  /** The filter's name (1-200 letters, digits, '_', '.', '-'). */
  name?: string;
  /** Put before the name on the wire (tsbcc marks its filters "tsbcc:"); not checked. */
  namePrefix?: string;
  /**
   * Direct action (default unless classid or actions are given): the return value is the
   * verdict. false: classid mode (0 = no match, -1 = the filter's classid, else the class).
   */
  directAction?: boolean;
  /** The class a match goes to in classid mode; in direct-action mode the class major. */
  classid?: HandleInput;
  /** Actions run on a match (classid mode only); checked and encoded by ../filter.ts. */
  actions?: readonly unknown[];
}

/** A cls_bpf filter as the kernel reports it. */
export interface BpfFilterInfo {
  name?: string;
  /** The program id (as bpftool shows it). */
  programId?: number;
  /** The program tag, hex. */
  programTag?: string;
  directAction: boolean;
  /** The default class in classid mode. */
  classid?: number;
  /** The TCA_ACT list of its actions, undecoded (../filter.ts decodes it). */
  actionList?: Buffer;
}

export default defineKind({
  object: 'filter',
  kind: 'bpf',
  feature: {
    name: 'cls_bpf',
    description: 'BPF tc classifier',
    kernelOption: 'CONFIG_NET_CLS_BPF',
    fallback: 'none: tc programs cannot attach',
  },
  parse(s: BpfFilterSpec, c) {
    if (s.name !== undefined && (typeof s.name !== 'string' || !TC_FILTER_NAME.test(s.name))) {
      c.add('name', `invalid filter name ${JSON.stringify(s.name)} (1-200 letters, digits, '_', '.' or '-')`);
    }
    const classid = c.handleOpt(s.classid, 'classid');
    const hasActions = Array.isArray(s.actions) && s.actions.length > 0;
    const directAction = c.boolOpt(s.directAction, 'directAction') ?? (classid === undefined && !hasActions);
    if (directAction && hasActions) {
      c.add('actions', 'actions run only in classid mode, not with direct action (directAction: false)');
    }
    const name = s.name === undefined ? undefined : `${s.namePrefix ?? ''}${s.name}`;
    return { fd: s.fd, name, classid, directAction };
  },
  options(p, env) {
    let classid = p.classid;
    // skb->tc_classid is 16 bits: in direct-action mode the kernel takes the class major from
    // the filter's classid, so under a classful qdisc it defaults to that qdisc's major.
    const parent = env.parent ?? PARENT_INGRESS;
    const hook = parent === PARENT_INGRESS || parent === PARENT_EGRESS || parent === TC_H.ROOT;
    if (p.directAction && classid === undefined && !hook) classid = tcMajor(parent);
    return nestPayload(TCA_BPF, {
      FD: p.fd,
      NAME: p.name,
      FLAGS: p.directAction ? TCA_BPF_FLAG_ACT_DIRECT : undefined,
      CLASSID: classid,
      ACT: env.actions,
    });
  },
  decode(options): BpfFilterInfo {
    const o = decodeAttrs(TCA_BPF, options);
    const info: BpfFilterInfo = { directAction: ((o.FLAGS ?? 0) & TCA_BPF_FLAG_ACT_DIRECT) !== 0 };
    if (o.NAME !== undefined) info.name = o.NAME;
    if (o.ID !== undefined) info.programId = o.ID;
    if (o.TAG !== undefined) info.programTag = o.TAG.toString('hex');
    if (o.CLASSID !== undefined) info.classid = o.CLASSID;
    if (o.ACT !== undefined) info.actionList = o.ACT;
    return info;
  },
});
