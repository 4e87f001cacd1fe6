/**
 * The BCC-C corpus: every program compiles and every function loads into this kernel's
 * verifier with the type its name implies, else the type a `// load: NAME=TYPE[:ATTACH]` line
 * gives it, else the file's `// load: TYPE` default. A `// maps-only` program has no function:
 * creating its maps is its check.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { machineFacts } from '../../src/compiler/machine.js';
import { BpfObject } from '../../src/core/bpf-object.js';
import { AttachType, ProgramType, isAttachTypeName, isProgramTypeName } from '../../src/uapi/program-type.js';
import { features } from '../../src/features/index.js';

const CORPUS = join(import.meta.dirname, '..', 'corpus');
const DIRS = ['networking', 'tracing', 'socket', 'xdp', 'usdt', 'compat'];
const cache = mkdtempSync(join(tmpdir(), 'tsbcc-corpus-'));
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const files = DIRS.flatMap((d) =>
  readdirSync(join(CORPUS, d))
    .filter((f) => f.endsWith('.c'))
    .map((f) => join(d, f)),
);

function defaultType(text: string, dir: string): string | undefined {
  const m = /^\/\/ load: (\w+)$/m.exec(text);
  if (m) return m[1] === 'none' ? undefined : m[1];
  return dir === 'networking' ? 'SCHED_CLS' : undefined;
}

/** `// load: NAME=TYPE[:ATTACH]` lines: the type (and attach type) of one function. */
function functionTypes(text: string): Map<string, { type: string; attach?: string }> {
  return new Map(
    [...text.matchAll(/^\/\/ load: (\w+)=(\w+)(?::(\w+))?$/gm)].map((m) => [
      m[1] ?? '',
      m[3] ? { type: m[2] ?? '', attach: m[3] } : { type: m[2] ?? '' },
    ]),
  );
}

describe('BCC-C corpus loads into the verifier', () => {
  for (const file of files) {
    it(file, async (ctx) => {
      const path = join(CORPUS, file);
      const text = readFileSync(path, 'utf8');
      const usdt = [...text.matchAll(/^\/\/ usdt: (\S+) (\S+)=(\w+)$/gm)].map((m) => ({
        path: m[1] ?? '',
        probes: [{ probe: m[2] ?? '', fnName: m[3] ?? '' }],
      }));
      if (usdt.some((u) => !existsSync(u.path))) {
        console.log(
          `${file}: skipped: USDT binary ${usdt.map((u) => u.path).join(', ')} not on this machine`,
        );
        ctx.skip();
      }
      const spec = await compile({ file: path }, { cacheDir: cache, usdt });
      expect(spec.dialect).toBe('bcc');
      if (/^\/\/ maps-only$/m.test(text)) {
        expect(spec.programs).toEqual([]);
        expect(spec.maps.length).toBeGreaterThan(0);
        const maps = BpfObject.create(spec);
        try {
          for (const m of spec.maps) expect(maps.map(m.name).fd).toBeGreaterThan(0);
        } finally {
          maps.close();
        }
        return;
      }
      expect(spec.programs.length).toBeGreaterThan(0);
      const fallback = defaultType(text, file.split('/')[0] ?? '');
      const perFunction = functionTypes(text);
      const feats = await features();
      const obj = BpfObject.create(spec);
      let loaded = 0;
      const skipped: string[] = [];
      try {
        for (const p of spec.programs) {
          const needsTrampoline =
            (p.type === ProgramType.TRACING && p.attachKind !== 'iter') || p.type === ProgramType.LSM;
          if (needsTrampoline && !feats.has('fentry')) {
            skipped.push(`${p.name} (fentry/trampolines missing on this kernel)`);
            continue;
          }
          let type: number | undefined = p.type;
          const given = perFunction.get(p.name);
          const named = given?.type ?? fallback;
          if (type === undefined && named && isProgramTypeName(named)) type = ProgramType[named];
          if (type === undefined) {
            skipped.push(`${p.name} (no type)`);
            continue;
          }
          const attach =
            given?.attach && isAttachTypeName(given.attach) ? AttachType[given.attach] : p.expectedAttachType;
          const opts = attach !== undefined ? { expectedAttachType: attach } : {};
          const prog = obj.loadFunc(p.name, type, opts);
          expect(prog.closed).toBe(false);
          loaded++;
        }
      } finally {
        obj.close();
        // BCC pins outlive the object: remove the corpus's own pins
        for (const m of spec.maps) if (m.pinPath) rmSync(m.pinPath, { force: true });
      }
      if (skipped.length) console.log(`${file}: not loaded: ${skipped.join(', ')}`);
      if (loaded === 0) ctx.skip();
    });
  }
});

describe('BCC semantics of the compiled maps and programs', () => {
  it('maps_all: kinds, sizes and BCC special cases', async () => {
    const spec = await compile({ file: join(CORPUS, 'networking', 'maps_all.c') }, { cacheDir: cache });
    const m = (n: string) => {
      const x = spec.maps.find((y) => y.name === n);
      if (!x) throw new Error(`map ${n} missing`);
      return x;
    };
    const { possibleCpus } = machineFacts();
    expect(m('h1')).toMatchObject({ type: 1, keySize: 8, valueSize: 8, maxEntries: 10240 });
    expect(m('h3')).toMatchObject({ type: 1, keySize: 8, valueSize: 16, maxEntries: 10240 });
    expect(m('h4').maxEntries).toBe(128);
    expect(m('a1')).toMatchObject({ type: 2, keySize: 4, valueSize: 8, maxEntries: 10240 });
    expect(m('hist_int')).toMatchObject({ type: 2, maxEntries: 64, kind: 'histogram' });
    expect(m('hist_key')).toMatchObject({ type: 1, maxEntries: 32 });
    expect(m('lpm')).toMatchObject({ type: 11, flags: 1 });
    expect(m('lru')).toMatchObject({ type: 9 });
    expect(m('stacks')).toMatchObject({ type: 7, maxEntries: 128, valueSize: 127 * 8 });
    expect(m('perf_events')).toMatchObject({ type: 4, maxEntries: possibleCpus });
    expect(m('ring')).toMatchObject({ type: 27, maxEntries: 4 * 4096, keySize: 0, valueSize: 0 });
    expect(m('q')).toMatchObject({ type: 22, keySize: 0, valueSize: 4 });
    expect(m('st')).toMatchObject({ type: 23 });
    expect(m('outer_arr')).toMatchObject({ type: 12, innerMap: 'inner_tmpl' });
    expect(m('outer_hash')).toMatchObject({ type: 13, innerMap: 'inner_tmpl' });
    expect(m('sk_store')).toMatchObject({ type: 24, flags: 1 });
    expect(m('public_tbl').shared).toBe(true);
    expect(m('shared_tbl').shared).toBe(true);
    // key/value layouts from BTF
    expect(m('h3').key).toMatchObject({
      kind: 'struct',
      name: 'struct key_t',
      size: 8,
      fields: [
        { name: 'a', offset: 0 },
        { name: 'b', offset: 4 },
        { name: 'c', offset: 6 },
      ],
    });
    // event layouts captured from perf_submit / ringbuf_output
    expect(spec.eventFields?.perf_events).toEqual(['len#u32', 'ifindex#u32', 'tag#char[4]']);
    expect(spec.events?.ring).toMatchObject({ kind: 'struct', name: 'struct ev_t', size: 12 });
  });

  it('storage, cgroup-storage, socket, build-id, queue/stack and map-of-maps macros', async () => {
    const specs = await Promise.all(
      ['networking/skb_tables.c', 'tracing/task_counters.c', 'socket/cgroup_skb.c', 'socket/sockmap.c'].map(
        (f) => compile({ file: join(CORPUS, f) }, { cacheDir: cache }),
      ),
    );
    const m = (n: string) => {
      const x = specs.flatMap((s) => s.maps).find((y) => y.name === n);
      if (!x) throw new Error(`map ${n} missing`);
      return x;
    };
    const pin = '/sys/fs/bpf/tsbcc-corpus-pinned-q';
    expect(m('pinned_q')).toMatchObject({ type: 22, keySize: 0, valueSize: 4, maxEntries: 8, pinPath: pin });
    expect(m('public_st')).toMatchObject({ type: 23, keySize: 0, valueSize: 8, shared: true });
    expect(m('shared_q')).toMatchObject({ type: 22, valueSize: 8, maxEntries: 4, shared: true });
    // BPF_HASH_OF_MAPS(name, "inner"): int keys, 10240 entries
    expect(m('per_netns')).toMatchObject({
      type: 13,
      keySize: 4,
      maxEntries: 10240,
      innerMap: 'inner_counts',
    });
    // build-id stacks: BPF_F_STACK_BUILD_ID, 127 struct bpf_stack_build_id (32 bytes) per trace
    expect(m('user_stacks')).toMatchObject({ type: 7, maxEntries: 256, flags: 32, valueSize: 127 * 32 });
    expect(m('cycles')).toMatchObject({ type: 4, maxEntries: 128, kind: 'perf_array' });
    expect(m('watched')).toMatchObject({ type: 8, maxEntries: 1 });
    expect(m('task_stats')).toMatchObject({ type: 29, keySize: 4, valueSize: 16, maxEntries: 0, flags: 1 });
    expect(m('inode_stats')).toMatchObject({ type: 28, keySize: 4, valueSize: 8, maxEntries: 0, flags: 1 });
    expect(m('sk_usage')).toMatchObject({ type: 24, valueSize: 16, flags: 1 });
    // cgroup storage keys are struct bpf_cgroup_storage_key (u64 cgroup id, u32 attach type, padding)
    expect(m('cg_usage')).toMatchObject({ type: 19, keySize: 16, valueSize: 16, maxEntries: 0 });
    expect(m('cg_packets')).toMatchObject({ type: 21, keySize: 16, valueSize: 8, maxEntries: 0 });
    expect(m('by_slot')).toMatchObject({ type: 15, keySize: 4, valueSize: 4, maxEntries: 64 });
    expect(m('by_flow')).toMatchObject({ type: 18, keySize: 16, valueSize: 4, maxEntries: 1024 });
  });

  it('table methods become the helper calls BCC emits', async () => {
    const text = async (f: string) =>
      (await compile({ file: join(CORPUS, f) }, { cacheDir: cache })).rewrittenSource ?? '';
    const skb = await text('networking/skb_tables.c');
    // perf_submit_skb carries the packet length in the flags' upper half and ends the statement
    expect(skb).toContain(
      'bpf_perf_event_output(skb, (void *)&samples, ((__u64)snap << 32) | BPF_F_CURRENT_CPU, &meta, sizeof(meta));;',
    );
    // lookup_or_init leaves the program with 0 when the entry cannot be made; lookup_or_try_init does not
    const lines = skb.split('\n');
    expect(lines.find((l) => l.includes('*s = ({'))).not.toContain('return 0;');
    expect(lines.find((l) => l.includes('*p = ({'))).toContain(
      'bpf_map_update_elem((void *)&by_proto, &proto, &zero, BPF_NOEXIST); _leaf = bpf_map_lookup_elem((void *)&by_proto, &proto); if (!_leaf) return 0; } _leaf; })',
    );
    expect(skb).toContain('bpf_ringbuf_query((void *)&drops, BPF_RB_AVAIL_DATA)');
    expect(skb).toContain('bpf_ringbuf_discard(m, BPF_RB_NO_WAKEUP)');
    const tr = await text('tracing/task_counters.c');
    expect(tr).toContain('bpf_perf_event_read((void *)&cycles, CUR_CPU_IDENTIFIER)');
    expect(tr).toContain('bpf_perf_event_read_value((void *)&cycles, CUR_CPU_IDENTIFIER, &val, sizeof(val))');
    expect(tr).toContain('bpf_current_task_under_cgroup((void *)&watched, 0)');
    expect(tr).toContain(
      'bpf_task_storage_get((void *)&task_stats, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE)',
    );
    expect(tr).toContain('bpf_task_storage_delete((void *)&task_stats, task)');
    expect(tr).toContain(
      'bpf_inode_storage_get((void *)&inode_stats, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE)',
    );
    expect(tr).toContain('bpf_inode_storage_delete((void *)&inode_stats, inode)');
    const cg = await text('socket/cgroup_skb.c');
    expect(cg).toContain('bpf_get_local_storage((void *)&cg_usage, 0)');
    expect(cg).toContain('bpf_get_local_storage((void *)&cg_packets, 0)');
    expect(cg).toContain('bpf_sk_storage_get((void *)&sk_usage, sk, 0, BPF_SK_STORAGE_GET_F_CREATE)');
    expect(cg).toContain('bpf_sk_storage_delete((void *)&sk_usage, sk)');
    const so = await text('socket/sockmap.c');
    expect(so).toContain('bpf_sock_hash_update(skops, (void *)&by_flow, &key, BPF_NOEXIST);;');
    expect(so).toContain('bpf_sock_map_update(skops, (void *)&by_slot, &slot, BPF_ANY);;');
    expect(so).toContain('bpf_msg_redirect_hash(msg, (void *)&by_flow, &peer, BPF_F_INGRESS)');
    expect(so).toContain('bpf_sk_redirect_hash(skb, (void *)&by_flow, &peer, BPF_F_INGRESS)');
  });

  it('proto.h headers: wire-order bit offsets, vxlan_gbp one bit short as in BCC', async () => {
    const spec = await compile({ file: join(CORPUS, 'networking', 'proto_headers.c') }, { cacheDir: cache });
    const src = spec.rewrittenSource ?? '';
    for (const access of [
      'bpf_dext_pkt(skb, (u64)tag + 0, 4, 12)', // dot1q vlanid
      'bpf_dins_pkt(skb, (u64)tag + 0, 0, 3, 5)', // dot1q pri
      'bpf_dins_pkt(skb, (u64)arp + 18, 0, 48, asker_mac)', // arp tha
      'bpf_dext_pkt(skb, (u64)arp + 24, 0, 32)', // arp tpa
      'bpf_dins_pkt(skb, (u64)ip6 + 1, 4, 20, flow ^ 1)', // ip6 flow_label
      'bpf_dins_pkt(skb, (u64)ip6 + 7, 0, 8, bpf_dext_pkt(skb, (u64)ip6 + 7, 0, 8) - (1))', // hop_limit -= 1
      'bpf_dext_pkt(skb, (u64)ip6 + 32, 0, 64)', // ip6 dst_lo
      'bpf_dext_pkt(skb, (u64)opt + 0, 0, 8)', // ip6_opt next_header
      'bpf_dins_pkt(skb, (u64)icmp6 + 0, 0, 8, 129)', // icmp6 type
      'bpf_dext_pkt(skb, (u64)tcp + 13, 6, 1)', // tcp flag_syn
      'bpf_dext_pkt(skb, (u64)tcp + 12, 4, 4)', // tcp reserved
      'bpf_dins_pkt(skb, (u64)tcp + 14, 0, 16, 1024)', // tcp rcv_wnd
      'bpf_dext_pkt(skb, (u64)gbp + 1, 7, 16)', // vxlan_gbp tag (bit 15, not 16)
      'bpf_dins_pkt(skb, (u64)gbp + 3, 7, 24, 43)', // vxlan_gbp key (bit 31, not 32)
      'bpf_dins_pkt(skb, (u64)gbp + 1, 3, 1, 1)', // vxlan_gbp aflag
    ])
      expect(src).toContain(access);
  });

  it('names: types, attach targets and kernel names by convention', async () => {
    const spec = await compile({ file: join(CORPUS, 'tracing', 'kprobe_args.c') }, { cacheDir: cache });
    const p = (n: string) => spec.programs.find((x) => x.name === n);
    expect(p('kprobe__tcp_v4_connect')).toMatchObject({
      type: ProgramType.KPROBE,
      attachTarget: 'tcp_v4_connect',
      kernelName: 'tcp_v4_connect',
      autoAttach: true,
    });
    expect(p('kretprobe__tcp_v4_connect')).toMatchObject({ attachKind: 'kretprobe' });
    expect(p('syscall__openat')).toMatchObject({ autoAttach: false, attachKind: 'syscall' });
    const tp = await compile({ file: join(CORPUS, 'tracing', 'tp_switch.c') }, { cacheDir: cache });
    expect(tp.programs[0]).toMatchObject({
      name: 'tracepoint__sched__sched_switch',
      type: ProgramType.TRACEPOINT,
      attachTarget: 'sched:sched_switch',
      kernelName: 'sched__sched_sw',
    });
  });
});
