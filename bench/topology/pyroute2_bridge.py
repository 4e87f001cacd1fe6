#!/usr/bin/python3
"""The pyroute2 peer of bench/topology: N hosts, each a namespace with a veth whose outer end is
a port of one bridge (in a fabric namespace), addressed and up; then teardown. Written the way
BCC's simulation helper drives pyroute2: one NetNS handle per namespace, a veth created with
its peer placed in the host namespace, then address and state set through the host's handle.

usage: pyroute2_bridge.py up|down PREFIX N   (prints the elapsed milliseconds)
"""
import sys
import time

from pyroute2 import NetNS, netns


def up(prefix, n):
    fabric_name = f"{prefix}-fabric"
    netns.create(fabric_name)
    fabric = NetNS(fabric_name)
    fabric.link("add", ifname="br0", kind="bridge")
    br = fabric.link_lookup(ifname="br0")[0]
    fabric.link("set", index=br, state="up")
    for i in range(n):
        name = f"{prefix}-h{i}"
        netns.create(name)
        outer = f"h{i}-eth"
        fabric.link("add", ifname=outer, kind="veth", peer={"ifname": "eth0", "net_ns_fd": name})
        idx = fabric.link_lookup(ifname=outer)[0]
        fabric.link("set", index=idx, master=br, state="up")
        host = NetNS(name)
        eth0 = host.link_lookup(ifname="eth0")[0]
        host.addr("add", index=eth0, address=f"10.99.{(i + 1) >> 8}.{(i + 1) & 255}", prefixlen=16)
        host.link("set", index=eth0, state="up")
        host.link("set", index=host.link_lookup(ifname="lo")[0], state="up")
        host.close()
    fabric.close()


def down(prefix, n):
    for i in range(n):
        netns.remove(f"{prefix}-h{i}")
    netns.remove(f"{prefix}-fabric")


if __name__ == "__main__":
    what, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = time.perf_counter()
    (up if what == "up" else down)(prefix, n)
    print(f"{(time.perf_counter() - t0) * 1000:.1f}")
