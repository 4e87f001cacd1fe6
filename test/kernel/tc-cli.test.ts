import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BpfObject, compile, TcDevice } from '../../src/index.js';
import { registerTcCommands } from '../../src/cli/tc.js';
import { nsExec, run, vethPair, type VethPairFixture } from './helpers/netns.js';
import { PASS_ALL } from './helpers/tc-programs.js';

/** Runs `tsbcc tc ...` in-process and returns what it printed. */
async function tsbccTc(args: string[]): Promise<string> {
  const program = new Command().exitOverride();
  registerTcCommands(program);
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    await program.parseAsync(['node', 'tsbcc', 'tc', ...args]);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

describe('tsbcc tc ls / clean', () => {
  let net: VethPairFixture;
  beforeEach(() => {
    net = vethPair();
  });
  afterEach(() => net.destroy());

  it("lists and removes tsbcc's filters only, including ones kept past their Link", async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    try {
      // A filter someone else made with the tc command, and two of ours (one kept).
      nsExec(net.ns2, ['tc', 'qdisc', 'add', 'dev', net.if2, 'clsact']);
      for (const hook of ['ingress', 'egress']) {
        nsExec(net.ns2, [
          'tc',
          'filter',
          'add',
          'dev',
          net.if2,
          hook,
          'pref',
          '3',
          'u32',
          'match',
          'u32',
          '0',
          '0',
        ]);
      }
      const theirs = (hook: string): string =>
        run('ip', ['netns', 'exec', net.ns2, 'tc', 'filter', 'show', 'dev', net.if2, hook]);
      const a = await dev.attachBpf(prog, { parent: 'ingress', name: 'keepme', priority: 10, keep: true });
      const b = await dev.attachBpf(prog, { parent: 'egress', name: 'other', priority: 11 });
      const ls = await tsbccTc(['ls', net.if2, '--netns', net.ns2]);
      expect(ls.split('\n')).toHaveLength(2);
      expect(ls).toContain(
        `ingress pref 10 bpf chain 0 handle 0x1 tsbcc:keepme direct-action id ${prog.id} prog pass_all`,
      );
      expect(ls).toContain('egress pref 11 bpf');
      const all = JSON.parse(await tsbccTc(['ls', net.if2, '--netns', net.ns2, '--all', '--json'])) as {
        kind: string;
        ours: boolean;
      }[];
      expect(all.filter((f) => f.kind === 'u32' && !f.ours).length).toBeGreaterThanOrEqual(2);
      expect(all.filter((f) => f.kind === 'bpf' && f.ours)).toHaveLength(2);
      await b.close();
      expect(await tsbccTc(['clean', net.if2, '--netns', net.ns2])).toBe(
        `removed 1 tsbcc filter from ${net.if2}`,
      );
      expect(await tsbccTc(['ls', net.if2, '--netns', net.ns2])).toBe('');
      expect(theirs('ingress')).toContain('u32');
      expect(theirs('ingress')).not.toContain('bpf');
      expect(theirs('egress')).toContain('u32');
      await a.close(); // already gone: not an error
    } finally {
      dev.close();
      obj.close();
    }
  });

  it('finds and removes kept filters under classful qdiscs and classes too', async () => {
    const obj = BpfObject.create(await compile(PASS_ALL));
    const prog = obj.loadFunc('pass_all', 'SCHED_CLS');
    const dev = await TcDevice.open({ interface: net.if2, netns: net.ns2 });
    try {
      const htb = await dev.addQdisc({ kind: 'htb', handle: '1:', defaultClass: 0x10 });
      const cls = await dev.addClass({ classid: '1:10', parent: '1:', rate: '10mbit' });
      await dev.attachBpf(prog, {
        parent: '1:',
        name: 'onqdisc',
        priority: 5,
        directAction: false,
        keep: true,
      });
      await dev.attachBpf(prog, {
        parent: '1:10',
        name: 'onclass',
        priority: 6,
        directAction: false,
        keep: true,
      });
      const ls = (await tsbccTc(['ls', net.if2, '--netns', net.ns2])).split('\n');
      expect(ls).toHaveLength(2);
      expect(ls.find((l) => l.includes('tsbcc:onqdisc'))).toMatch(/^1: pref 5 bpf/);
      expect(ls.find((l) => l.includes('tsbcc:onclass'))).toMatch(/^1:10 pref 6 bpf/);
      expect(await tsbccTc(['clean', net.if2, '--netns', net.ns2])).toBe(
        `removed 2 tsbcc filters from ${net.if2}`,
      );
      const shown = run('ip', [
        'netns',
        'exec',
        net.ns2,
        'tc',
        'filter',
        'show',
        'dev',
        net.if2,
        'parent',
        '1:',
      ]);
      expect(shown).not.toContain('bpf');
      expect(await tsbccTc(['ls', net.if2, '--netns', net.ns2])).toBe('');
      await cls.close();
      await htb.close();
    } finally {
      dev.close();
      obj.close();
    }
  });

  it('names an unknown interface', async () => {
    await expect(tsbccTc(['ls', 'nosuch0', '--netns', net.ns2])).rejects.toThrow(
      `no interface "nosuch0" in namespace ${net.ns2}`,
    );
  });
});
