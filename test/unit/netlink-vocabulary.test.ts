/**
 * The netlink vocabulary against the kernel's own headers: a C file generated from every attribute
 * set, struct and constant table of src/netlink (the tc kinds' files included, found by listing
 * their directories) is compiled against the uapi headers (linux-libc-dev) and prints each
 * constant, struct size and field offset; each must equal ours. (A copy of netem's encoder once
 * sent TCA_NETEM_LATENCY64 as 8, which is TCA_NETEM_RATE64: this catches that class of slip.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERRNO } from '../../src/errno.js';
import * as ifa from '../../src/netlink/ifa.js';
import * as ifla from '../../src/netlink/ifla.js';
import * as message from '../../src/netlink/message.js';
import * as rta from '../../src/netlink/rta.js';
import * as rtnetlink from '../../src/netlink/rtnetlink.js';
import type { AttrSet, AttrDefs, FieldMap, Struct } from '../../src/netlink/schema.js';
import { TCA_BPF_FLAG_ACT_DIRECT } from '../../src/netlink/tc/filter/bpf.js';
import { TC_LINKLAYER_ETHERNET } from '../../src/netlink/tc/ratespec.js';
import * as tca from '../../src/netlink/tc/tca.js';

const HEADERS = [
  'stddef.h',
  'errno.h',
  'sys/socket.h',
  'linux/netlink.h',
  'linux/rtnetlink.h',
  'linux/if.h',
  'linux/if_link.h',
  'linux/if_addr.h',
  'linux/if_ether.h',
  'linux/veth.h',
  'linux/pkt_sched.h',
  'linux/pkt_cls.h',
  'linux/tc_act/tc_mirred.h',
  'linux/tc_act/tc_gact.h',
  'linux/tc_act/tc_bpf.h',
];

type Module = Record<string, unknown>;
const isSet = (v: unknown): v is AttrSet<AttrDefs> => (v as { kind?: string })?.kind === 'attrs';
const isStruct = (v: unknown): v is Struct<FieldMap> => (v as { kind?: string })?.kind === 'struct';

async function kindModules(): Promise<Module[]> {
  const root = new URL('../../src/netlink/tc/', import.meta.url);
  const out: Module[] = [];
  for (const dir of ['qdisc', 'class', 'filter', 'action']) {
    for (const f of readdirSync(new URL(`${dir}/`, root)).filter((x) => x.endsWith('.ts'))) {
      out.push((await import(new URL(`${dir}/${f}`, root).href)) as Module);
    }
  }
  return out;
}

/** C expression -> our value, for every declaration of the vocabulary. */
async function expectations(): Promise<Map<string, number>> {
  const want = new Map<string, number>();
  const modules: Module[] = [message, rtnetlink, ifla, ifa, rta, tca, ...(await kindModules())];
  const structs = new Map<string, Struct<FieldMap>>();
  for (const m of modules) {
    for (const v of Object.values(m)) {
      if (isSet(v)) for (const [name, def] of Object.entries(v.defs)) want.set(`${v.name}_${name}`, def[0]);
      if (isStruct(v)) structs.set(v.name, v);
    }
  }
  const walk = (s: Struct<FieldMap>, type: string, prefix: string, base: number): void => {
    for (const { name, type: t, offset } of s.layout) {
      want.set(`offsetof(struct ${type}, ${prefix}${name})`, base + offset);
      if (isStruct(t)) walk(t, type, `${prefix}${name}.`, base + offset);
    }
  };
  for (const s of structs.values()) {
    want.set(`sizeof(struct ${s.name})`, s.size);
    walk(s, s.name, '', 0);
  }
  const tables: [string, Record<string, number>][] = [
    ['RTM', rtnetlink.RTM],
    ['AF', rtnetlink.AF],
    ['IFF', rtnetlink.IFF],
    ['RT_TABLE', rtnetlink.RT_TABLE],
    ['RTPROT', rtnetlink.RTPROT],
    ['RT_SCOPE', rtnetlink.RT_SCOPE],
    ['RTN', rtnetlink.RTN],
    ['NLM_F', message.NLM_F],
    ['NLMSG', message.NLMSG],
    ['XDP_FLAGS', ifla.XDP_FLAGS],
    ['IFA_F', ifa.IFA_F],
    ['TC_H', tca.TC_H],
    ['TC_ACT', tca.TC_ACT],
    ['ETH_P', tca.ETH_P],
  ];
  for (const [prefix, table] of tables)
    for (const [k, v] of Object.entries(table)) want.set(`${prefix}_${k}`, v);
  for (const [k, v] of Object.entries(ERRNO)) if (k !== 'ENOTSUPP') want.set(k, v); // ENOTSUPP is kernel-internal
  ['NONE', 'DRV', 'SKB', 'HW', 'MULTI'].forEach((k, i) => want.set(`XDP_ATTACHED_${k}`, i));
  want.set('TCA_BPF_FLAG_ACT_DIRECT', TCA_BPF_FLAG_ACT_DIRECT);
  want.set('TC_LINKLAYER_ETHERNET', TC_LINKLAYER_ETHERNET);
  return want;
}

describe('netlink vocabulary', () => {
  it("matches the kernel's uapi headers: every attribute id, constant, struct size and field offset", async () => {
    const want = await expectations();
    const exprs = [...want.keys()];
    const src = [
      ...HEADERS.map((h) => `#include <${h}>`),
      '#include <stdio.h>',
      'int main(void) {',
      ...exprs.map((e, i) => `  printf("%d %lld\\n", ${i}, (long long)(${e}));`),
      '  return 0;',
      '}',
    ].join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'tsbcc-vocab-'));
    try {
      writeFileSync(join(dir, 'v.c'), src);
      execFileSync('gcc', ['-o', join(dir, 'v'), join(dir, 'v.c')], { stdio: 'pipe' });
      const got = new Map<string, number>();
      for (const line of execFileSync(join(dir, 'v'), { encoding: 'utf8' }).trim().split('\n')) {
        const [i, v] = line.split(' ');
        got.set(exprs[Number(i)] as string, Number(v));
      }
      const mismatches = exprs
        .filter((e) => got.get(e) !== (want.get(e) ?? NaN) >>> 0 && got.get(e) !== want.get(e))
        .map((e) => `${e}: ours ${want.get(e)}, kernel ${got.get(e)}`);
      expect(mismatches).toEqual([]);
      expect(exprs.length).toBeGreaterThan(300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
