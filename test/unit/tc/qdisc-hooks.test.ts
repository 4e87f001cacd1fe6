import { describe, expect, it } from 'vitest';
import { resolveQdisc } from '../../../src/netlink/tc/qdisc.js';

describe('clsact and ingress qdiscs', () => {
  it.each(['clsact', 'ingress'] as const)('%s sits at ffff: under ffff:fff1 and takes no options', (k) => {
    expect(resolveQdisc({ kind: k })).toMatchObject({
      kind: k,
      handle: 0xffff0000,
      parent: 0xfffffff1,
      options: undefined,
    });
    expect(() => resolveQdisc({ kind: k, handle: '1:' })).toThrow(/takes no parent or handle/);
  });
});
