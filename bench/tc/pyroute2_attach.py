#!/usr/bin/env python3
"""Attach+detach a cls_bpf filter N times with pyroute2 (BCC's way of doing tc) inside a named
network namespace. The program comes from a bpffs pin (BPF_OBJ_GET, before entering the
namespace, since `ip netns exec` would hide bpffs). Prints JSON: per-iteration times in us."""
import ctypes
import json
import os
import sys
import time

from pyroute2 import IPRoute

pin, ns, dev, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

libc = ctypes.CDLL(None, use_errno=True)


class ObjGetAttr(ctypes.Structure):
    _fields_ = [("pathname", ctypes.c_uint64), ("bpf_fd", ctypes.c_uint32),
                ("file_flags", ctypes.c_uint32), ("pad", ctypes.c_uint8 * 120)]


path = ctypes.create_string_buffer(pin.encode())
attr = ObjGetAttr()
attr.pathname = ctypes.addressof(path)
BPF_OBJ_GET = 7
fd = libc.syscall(321, BPF_OBJ_GET, ctypes.byref(attr), ctypes.sizeof(attr))
if fd < 0:
    raise OSError(ctypes.get_errno(), "BPF_OBJ_GET " + pin)

CLONE_NEWNET = 0x40000000
nsfd = os.open("/run/netns/" + ns, os.O_RDONLY)
if libc.setns(nsfd, CLONE_NEWNET) != 0:
    raise OSError(ctypes.get_errno(), "setns " + ns)
os.close(nsfd)

ipr = IPRoute()
idx = ipr.link_lookup(ifname=dev)[0]
times = []
for i in range(n):
    t0 = time.perf_counter()
    ipr.tc("add-filter", "bpf", idx, ":1", fd=fd, name="pyroute2_bench", parent="ffff:fff2",
           prio=1, classid=1, direct_action=True)
    ipr.tc("del-filter", "bpf", idx, ":1", parent="ffff:fff2", prio=1)
    times.append((time.perf_counter() - t0) * 1e6)
ipr.close()
print(json.dumps(times))
