/**
 * The workload of tcpconnect -d's test, run inside a network and mount namespace of the test's
 * (`unshare -nm`, /etc/resolv.conf bound to "nameserver 127.0.0.1"): a DNS server on
 * 127.0.0.1:53 answering NAME -> ADDR for each "NAME=ADDR" argument, a TCP server on port PORT
 * of each address, then one connect per name after looking it up (the first name with c-ares,
 * dns.Resolver; the others through glibc, dns.lookup), a connect to NODNS with no lookup, and
 * one to 127.0.0.1. Prints one JSON line with the pid and what it connected to, then exits.
 *   node dns-workload.mjs PORT NODNS NAME=ADDR...
 */
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';

const [port, noDns, ...pairs] = process.argv.slice(2);
const answers = new Map(pairs.map((p) => p.split('=')));

/** Reads the question name of a query (no compression in questions we make). */
function qname(q) {
  const labels = [];
  let off = 12;
  while (q[off]) {
    labels.push(q.toString('latin1', off + 1, off + 1 + q[off]));
    off += 1 + q[off];
  }
  return { name: labels.join('.'), end: off + 5 };
}

const server = dgram.createSocket('udp4');
server.on('message', (q, from) => {
  const { name, end } = qname(q);
  const qtype = q.readUInt16BE(end - 4);
  const addr = answers.get(name);
  const header = Buffer.alloc(12);
  q.copy(header, 0, 0, 2);
  const found = addr !== undefined && qtype === 1;
  header.writeUInt16BE(addr === undefined ? 0x8183 : 0x8180, 2); // NXDOMAIN or NOERROR
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(found ? 1 : 0, 6);
  const parts = [header, q.subarray(12, end)];
  if (found) {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(1, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(4, 10);
    Buffer.from(addr.split('.').map(Number)).copy(rr, 12);
    parts.push(rr);
  }
  server.send(Buffer.concat(parts), from.port, from.address);
});
await new Promise((r) => server.bind(53, '127.0.0.1', r));

const servers = [];
for (const addr of [...answers.values(), noDns, '127.0.0.1']) {
  const s = net.createServer((c) => c.end());
  await new Promise((r) => s.listen(Number(port), addr, r));
  servers.push(s);
}

const connectTo = (addr) =>
  new Promise((resolve, reject) => {
    const c = net.connect(Number(port), addr, () => {
      c.destroy();
      resolve(addr);
    });
    c.on('error', reject);
  });

const names = [...answers.keys()];
const resolver = new dns.promises.Resolver();
resolver.setServers(['127.0.0.1']);
const done = [];
const [first, ...rest] = names;
const [a1] = await resolver.resolve4(first);
done.push([first, await connectTo(a1)]);
for (const n of rest) {
  const { address } = await dns.promises.lookup(n, { family: 4 });
  done.push([n, await connectTo(address)]);
}
done.push(['', await connectTo(noDns)]);
done.push(['', await connectTo('127.0.0.1')]);
console.log(JSON.stringify({ pid: process.pid, done }));
server.close();
for (const s of servers) s.close();
