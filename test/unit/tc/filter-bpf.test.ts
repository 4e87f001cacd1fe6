import { describe, expect, it } from 'vitest';
import { Check } from '../../../src/netlink/tc/check.js';
import { checkFilter, decodeFilter, newFilter } from '../../../src/netlink/tc/filter.js';
import { parseMessages } from '../../../src/netlink/message.js';
import { decoded, encoded } from './helpers.js';

describe('cls_bpf filter', () => {
  it('encodes fd, the prefixed name and direct action; under a classful parent the class major', () => {
    const e = encoded(
      'filter',
      { kind: 'bpf', fd: 9, name: 'f', namePrefix: 'tsbcc:' },
      { ifindex: () => 0, parent: 0xfffffff2 },
    );
    expect(e.hex).toBe('08000600' + '09000000' + '0c000700' + '74736263633a6600' + '08000800' + '01000000');
    expect(decoded('filter', 'bpf', e.hex)).toEqual({ name: 'tsbcc:f', directAction: true });
    const under = encoded('filter', { kind: 'bpf', fd: 9, name: 'f' }, { ifindex: () => 0, parent: 0x10000 });
    expect(decoded('filter', 'bpf', under.hex)).toEqual({ name: 'f', directAction: true, classid: 0x10000 });
  });

  it('as a whole filter: place, protocol in network order, actions as a TCA_ACT list, and the echo decoded', () => {
    const c = new Check('', 'filter');
    const f = checkFilter(
      {
        kind: 'bpf',
        fd: 5,
        name: 'm',
        parent: 'egress',
        priority: 3,
        protocol: 'ip',
        actions: [
          { kind: 'mirred', mode: 'redirect', to: 'vb' },
          { kind: 'gact', verdict: 'ok' },
        ],
      },
      c,
    );
    expect(c.problems).toEqual([]);
    expect(f).toMatchObject({
      parent: 0xfffffff3,
      priority: 3,
      protocol: 0x0800,
      interfaces: [{ name: 'vb', path: 'actions[0].to' }],
    });
    const msg = newFilter(4, f, f.encode({ ifindex: () => 11 }), 'create').build();
    const [m] = parseMessages(msg);
    const d = decodeFilter(m!);
    expect(d).toMatchObject({
      ifindex: 4,
      kind: 'bpf',
      parent: 0xfffffff3,
      priority: 3,
      protocol: 0x0800,
      protocolRaw: 0x0008,
    });
    expect(d.options).toMatchObject({ name: 'm', directAction: false });
    expect(d.actions).toEqual([
      { kind: 'mirred', options: { mode: 'redirect', direction: 'egress', ifindex: 11 } },
      { kind: 'gact', options: { verdict: 'ok' } },
    ]);
  });

  it('checks name, classid, mode and actions', () => {
    const c = new Check('p', 'filter');
    checkFilter(
      {
        kind: 'bpf',
        name: 'a b',
        directAction: true,
        classid: '1:10000',
        actions: [{ kind: 'gact', verdict: 'ok' }],
      } as never,
      c,
    );
    expect(c.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      `p.name: invalid filter name "a b" (1-200 letters, digits, '_', '.' or '-')`,
      'p.classid: invalid filter classid "1:10000": minor "10000" is not 1-4 hex digits (expected MAJ:MIN in hex, e.g. "1:10" or "ffff:")',
      'p.actions: actions run only in classid mode, not with direct action (directAction: false)',
    ]);
  });
});
