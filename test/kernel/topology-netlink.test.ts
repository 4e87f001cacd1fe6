import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SyscallError, NetlinkError } from '../../src/errors.js';
import { addAddress, listAddresses } from '../../src/netlink/address.js';
import { getLink, listLinks, newLink, setLink } from '../../src/netlink/link.js';
import { NamedNamespace } from '../../src/netlink/netns.js';
import { dumpFilters } from '../../src/netlink/tc/filter.js';
import { PARENT_INGRESS } from '../../src/netlink/tc/tca.js';
import { namespacesMatching, nsExec, uniqueName } from './helpers/netns.js';

describe('named namespaces and rtnetlink objects', () => {
  it('creates a namespace `ip netns` can use, refuses a taken name, and deletes it', async () => {
    const name = uniqueName('t');
    const ns = await NamedNamespace.create(name);
    try {
      expect(existsSync(`/run/netns/${name}`)).toBe(true);
      expect(nsExec(name, ['ip', '-o', 'link', 'show', 'lo'])).toContain('lo:');
      const err = await NamedNamespace.create(name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyscallError);
      expect((err as SyscallError).code).toBe('EEXIST');
      // the refused attempt did not disturb the existing namespace
      expect(nsExec(name, ['ip', '-o', 'link', 'show', 'lo'])).toContain('lo:');
    } finally {
      ns.delete();
    }
    expect(namespacesMatching(name)).toEqual([]);
  });

  it('creates namespaces in one call up to the first failure, and deletes them together', async () => {
    const names = [uniqueName('t'), uniqueName('t'), uniqueName('t'), uniqueName('t')];
    const taken = await NamedNamespace.create(names[2] as string);
    let made: NamedNamespace[] = [];
    try {
      const { created, error } = await NamedNamespace.createMany(names);
      made = created;
      // the two before the taken name exist, with working sockets and fds; nothing after it
      expect(created.map((n) => n.name)).toEqual(names.slice(0, 2));
      expect(error).toBeInstanceOf(SyscallError);
      expect(error?.code).toBe('EEXIST');
      expect(error?.message).toContain(names[2]);
      expect(existsSync(`/run/netns/${names[3]}`)).toBe(false);
      for (const ns of created) {
        expect((await listLinks(await ns.socket())).map((l) => l.name)).toEqual(['lo']);
        expect(ns.fd()).toBeGreaterThan(2);
        expect(nsExec(ns.name, ['ip', '-o', 'link', 'show', 'lo'])).toContain('lo:');
      }
      // the refused name still holds the namespace it had
      expect(nsExec(names[2] as string, ['ip', '-o', 'link', 'show', 'lo'])).toContain('lo:');
      expect(NamedNamespace.deleteMany([...created, taken]).size).toBe(0);
      for (const n of names) expect(existsSync(`/run/netns/${n}`)).toBe(false);
      // deleting again is a no-op (the names are not looked up twice)
      expect(NamedNamespace.deleteMany(created).size).toBe(0);
    } finally {
      NamedNamespace.deleteMany([...made, taken]);
    }
    for (const n of names) expect(namespacesMatching(n)).toEqual([]);
  });

  it('runs concurrent requests on one socket one at a time, each with its own replies', async () => {
    const ns = await NamedNamespace.create(uniqueName('t'));
    try {
      const sock = await ns.socket();
      // Started together; on one fd at once, one transaction would read the other's replies and
      // the other would wait for them forever (seen with the two filter dumps tc's clean-up
      // after a refused attach started at once).
      const dump = (): Promise<unknown> => sock.request(dumpFilters(1, PARENT_INGRESS), 'list filters on lo');

      for (let round = 0; round < 8; round++) {
        const all = Promise.all([
          ...Array.from({ length: 64 }, dump),
          ...Array.from({ length: 16 }, () => listLinks(sock)),
        ]);
        const settled = await Promise.race([all, new Promise((r) => setTimeout(() => r('stuck'), 10_000))]);
        expect(settled, `round ${round}`).not.toBe('stuck');
        const results = settled as unknown[];
        for (const r of results.slice(0, 64)) expect(r).toEqual([]); // no filters: an empty dump
        for (const links of results.slice(64) as { name: string }[][]) {
          expect(links.map((l) => l.name)).toEqual(['lo']);
        }
      }
      sock.close();
    } finally {
      ns.delete();
    }
  });

  it('moves a device between namespaces and keeps its configuration requests typed', async () => {
    const a = await NamedNamespace.create(uniqueName('t'));
    const b = await NamedNamespace.create(uniqueName('t'));
    try {
      const sa = await a.socket();
      await sa.batch([
        newLink({ kind: 'veth', name: 'left', index: 200, peer: { name: 'right', index: 201 } }),
        setLink(201, { nsFd: b.fd(), name: 'moved' }, 'move right to b as moved'),
      ]);
      expect((await listLinks(sa)).map((l) => l.name)).not.toContain('right');
      const sb = await b.socket();
      const moved = await getLink(sb, 'moved');
      expect(moved?.kind).toBe('veth');
      await sb.batch([
        setLink(moved?.index ?? 0, { up: true, mtu: 1300 }),
        addAddress(moved?.index ?? 0, '10.61.0.2/24'),
      ]);
      expect((await listAddresses(sb)).map((x) => `${x.address}/${x.prefix}`)).toContain('10.61.0.2/24');
      expect((await getLink(sb, 'moved'))?.mtu).toBe(1300);
      // the kernel's refusal reaches the caller with the operation named
      const dup = await sa
        .request(newLink({ kind: 'bridge', name: 'left' }).message, 'create bridge left')
        .catch((e: unknown) => e);
      expect(dup).toBeInstanceOf(NetlinkError);
      expect((dup as NetlinkError).message).toMatch(/^create bridge left: EEXIST/);
    } finally {
      a.delete();
      b.delete();
    }
  });

  it('writes sysctls inside the namespace only, and names a bad key', async () => {
    const ns = await NamedNamespace.create(uniqueName('t'));
    try {
      const rootBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
      await ns.sysctl({ 'net.ipv4.ip_forward': rootBefore.trim() === '1' ? '0' : '1' });
      expect(nsExec(ns.name, ['cat', '/proc/sys/net/ipv4/ip_forward']).trim()).toBe(
        rootBefore.trim() === '1' ? '0' : '1',
      );
      expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(rootBefore);
      const err = await ns.sysctl({ 'net.ipv4.no_such_knob': '1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SyscallError);
      expect((err as SyscallError).message).toContain('/proc/sys/net/ipv4/no_such_knob');
    } finally {
      ns.delete();
    }
  });
});
