import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BpfObject, compile, NotSupportedError, PacketSocket, TcDevice } from '../../src/index.js';
import { features, type FeatureSet } from '../../src/features/index.js';
import { iperf } from './helpers/iperf.js';
import { echoRequests, pingsAnswered } from './helpers/packets.js';
import { nsExec, run, uniqueName, vethPair, type VethPairFixture } from './helpers/netns.js';
import { MATCH_ICMP, PASS_ALL } from './helpers/tc-programs.js';

const tcState = (ns: string, dev: string): string =>
  nsExec(ns, ['tc', 'qdisc', 'show', 'dev', dev]) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'ingress']) +
  nsExec(ns, ['tc', 'filter', 'show', 'dev', dev, 'egress']);

describe('tc actions and qdisc kinds', () => {
  let net: VethPairFixture;
  let ns3: string;
  let feats: FeatureSet;
  const side = { a: '', b: '' };
  beforeAll(async () => {
    feats = await features();
  });
  beforeEach(() => {
    net = vethPair();
    // A second link from ns2 to a third namespace: the redirect target.
    ns3 = `${net.ns2}3`;
    side.a = uniqueName('r');
    side.b = `${side.a}p`;
    run('ip', ['netns', 'add', ns3]);
    run('ip', [
      'link',
      'add',
      side.a,
      'netns',
      net.ns2,
      'type',
      'veth',
      'peer',
      'name',
      side.b,
      'netns',
      ns3,
    ]);
    nsExec(net.ns2, ['ip', 'link', 'set', side.a, 'up']);
    nsExec(ns3, ['ip', 'link', 'set', side.b, 'up']);
  });
  afterEach(() => {
    net.destroy();
    run('ip', ['netns', 'del', ns3]);
  });

  it.each(['redirect', 'mirror'] as const)(
    'mirred %s moves echo requests to another interface',
    async (mode) => {
      if (!feats.has('act_mirred')) {
        console.log(`skipped: ${feats.missingReason('act_mirred')}`);
        return;
      }
      const obj = BpfObject.create(await compile(MATCH_ICMP));
      const prog = obj.loadFunc('match_icmp', 'SCHED_CLS');
      const before = tcState(net.ns2, net.if2);
      const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
      const sock = await PacketSocket.open({ netns: ns3, interface: side.b });
      try {
        expect(pingsAnswered(net, 2)).toBe(2);
        const link = await dev.attachBpf(prog, {
          parent: 'ingress',
          name: `mirred-${mode}`,
          actions: [{ kind: 'mirred', mode, to: side.a, direction: 'egress' }],
        });
        const [f] = await dev.filters('ingress');
        expect(f).toMatchObject({ directAction: false, programId: prog.id, name: `tsbcc:mirred-${mode}` });
        const copies = echoRequests(sock, 4);
        // Redirected requests never reach ns2's stack: no replies. Mirrored ones do.
        expect(pingsAnswered(net, 4)).toBe(mode === 'redirect' ? 0 : 4);
        expect(await copies).toBe(4);
        await link.close();
        expect(pingsAnswered(net, 2)).toBe(2);
        expect(tcState(net.ns2, net.if2)).toBe(before);
      } finally {
        sock.close();
        dev.close();
        obj.close();
      }
    },
  );

  it.each([
    ['police', { kind: 'police', rate: '1mbit', burst: '10k' }, 'act_police', 'CONFIG_NET_ACT_POLICE'],
    ['gact', { kind: 'gact', verdict: 'drop' }, 'act_gact', 'CONFIG_NET_ACT_GACT'],
  ] as const)(
    '%s action works or raises NotSupportedError naming the option',
    async (_n, action, feature, option) => {
      const obj = BpfObject.create(await compile(MATCH_ICMP));
      const prog = obj.loadFunc('match_icmp', 'SCHED_CLS');
      const before = tcState(net.ns2, net.if2);
      const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
      try {
        if (feats.has(feature)) {
          const link = await dev.attachBpf(prog, { actions: [action] });
          await link.close();
        } else {
          const err = await dev.attachBpf(prog, { actions: [action] }).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(NotSupportedError);
          expect((err as NotSupportedError).kernelOption).toBe(option);
          expect((err as Error).message).toContain(option);
        }
        expect(tcState(net.ns2, net.if2)).toBe(before);
      } finally {
        dev.close();
        obj.close();
      }
    },
  );

  it('a bpf action needs a SCHED_ACT program, and CONFIG_NET_ACT_BPF', async () => {
    const obj = BpfObject.create(await compile(MATCH_ICMP));
    const act = BpfObject.create(await compile(PASS_ALL));
    const prog = obj.loadFunc('match_icmp', 'SCHED_CLS');
    const before = tcState(net.ns2, net.if2);
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    try {
      await expect(dev.attachBpf(prog, { actions: [{ kind: 'bpf', program: prog }] })).rejects.toThrow(
        /must be loaded as SCHED_ACT/,
      );
      const actProg = act.loadFunc('pass_all', 'SCHED_ACT');
      if (feats.has('act_bpf')) {
        await (await dev.attachBpf(prog, { actions: [{ kind: 'bpf', program: actProg }] })).close();
      } else {
        await expect(dev.attachBpf(prog, { actions: [{ kind: 'bpf', program: actProg }] })).rejects.toThrow(
          /CONFIG_NET_ACT_BPF/,
        );
      }
      expect(tcState(net.ns2, net.if2)).toBe(before);
    } finally {
      dev.close();
      obj.close();
      act.close();
    }
  });

  it.each([
    ['sfq', { kind: 'sfq', perturb: 10 }, 'CONFIG_NET_SCH_SFQ'],
    ['prio', { kind: 'prio' }, 'CONFIG_NET_SCH_PRIO'],
    ['fq_codel', { kind: 'fq_codel', target: '5ms' }, 'CONFIG_NET_SCH_FQ_CODEL'],
    ['netem', { kind: 'netem', delay: '10ms' }, 'CONFIG_NET_SCH_NETEM'],
  ] as const)('qdisc %s is created where present, else NotSupportedError', async (kind, spec, option) => {
    const before = tcState(net.ns1, net.if1);
    const dev = await TcDevice.open({ interface: net.if1, netns: net.ns1 });
    try {
      if (feats.has(kind)) {
        const q = await dev.addQdisc(spec);
        expect((await dev.qdiscs()).map((x) => x.kind)).toContain(kind);
        expect(pingsAnswered(net, 2)).toBe(2);
        await q.close();
      } else {
        const err = await dev.addQdisc(spec).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotSupportedError);
        expect((err as Error).message).toContain(option);
      }
      expect(tcState(net.ns1, net.if1)).toBe(before);
    } finally {
      dev.close();
    }
  });

  it('tbf shapes egress to its rate (iperf3, within 10%)', async () => {
    const before = tcState(net.ns1, net.if1);
    const dev = await TcDevice.open({ interface: net.if1, netns: net.ns1 });
    try {
      const q = await dev.addQdisc({ kind: 'tbf', rate: '12mbit', burst: '32k', latency: '50ms' });
      const r = await iperf(net.ns1, net.ns2, net.ip2, 5311, 4);
      console.log(`tbf 12mbit: measured ${(r.receivedBps / 1e6).toFixed(2)} Mbit/s`);
      expect(r.receivedBps / 12e6).toBeGreaterThan(0.9);
      expect(r.receivedBps / 12e6).toBeLessThan(1.1);
      await q.close();
      expect(tcState(net.ns1, net.if1)).toBe(before);
    } finally {
      dev.close();
    }
  });

  it('an existing ingress qdisc is reused and kept; a second qdisc at root needs replace', async () => {
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    const obj = BpfObject.create(await compile(PASS_ALL));
    try {
      const ing = await dev.addQdisc({ kind: 'ingress' });
      const f = await dev.attachBpf(obj.loadFunc('pass_all', 'SCHED_CLS'), { parent: 'ingress' });
      expect(pingsAnswered(net, 1)).toBe(1);
      await f.close();
      expect((await dev.qdiscs()).map((q) => q.kind)).toContain('ingress');
      await ing.close();
      const htb = await dev.addQdisc({ kind: 'htb', handle: '1:' });
      await expect(dev.addQdisc({ kind: 'tbf', rate: '1mbit', burst: '10k' })).rejects.toThrow(
        /replace: true/,
      );
      const tbf = await dev.addQdisc(
        { kind: 'tbf', rate: '1mbit', burst: '10k', handle: '2:' },
        { replace: true },
      );
      expect((await dev.qdiscs()).map((q) => q.kind)).toContain('tbf');
      await tbf.close();
      await htb.close();
      expect((await dev.qdiscs()).map((q) => q.kind)).toEqual(['noqueue']);
    } finally {
      dev.close();
      obj.close();
    }
  });
});
