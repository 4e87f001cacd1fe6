// error: 4:1: no tracepoint nosuch:event_here on this kernel (tracefs has no events/nosuch/event_here/format)
BPF_HASH(h, u32, u64);

TRACEPOINT_PROBE(nosuch, event_here) {
  return 0;
}
