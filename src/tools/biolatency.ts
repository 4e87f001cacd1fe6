/**
 * biolatency: block I/O latency as a log2 histogram, from issue (or, with -Q, from when the OS
 * queued it) to completion; per disk (-D) or per set of request flags (-F). Kprobes on the block
 * layer's request functions where the kernel has kprobes (BCC's form), else the block
 * tracepoints (flags for -F then come from the tracepoints' rwbs string).
 */
import { InvalidArgumentError } from '../errors.js';
import { formatLog2Hist, log2HistJson, type JsonHist } from '../maps/histogram.js';
import { addIntervalArguments } from './args.js';
import { blockHooks, diskDev, diskNames, requestFlagsName, RWBS_FLAGS_C, type BlockHooks } from './block.js';
import { clockTime, sprintf } from './format.js';
import { pyRepr } from './pyrepr.js';
import { tracepointProbe, type Attachment } from './session.js';
import { drain } from './tables.js';
import { defineTool } from './tool.js';

interface Options {
  timestamp?: boolean;
  queued?: boolean;
  milliseconds?: boolean;
  disks?: boolean;
  flags?: boolean;
  extension?: boolean;
  json?: boolean;
  disk?: string;
}

function program(o: Options, h: BlockHooks, diskAt: 'q->disk' | 'rq_disk'): string {
  const filter = o.disk !== undefined ? `if (key->dev != ${diskDev(o.disk)}) return 0;` : '';
  let storage: string;
  let store: string;
  if (o.disks) {
    storage = 'struct disk_key { u32 dev; u32 pad; u64 slot; };\nBPF_HISTOGRAM(dist, struct disk_key);';
    store = `struct disk_key dk;
    __builtin_memset(&dk, 0, sizeof(dk));
    dk.dev = key->dev;
    dk.slot = bpf_log2l(delta);
    dist.atomic_increment(dk);`;
  } else if (o.flags) {
    storage = 'struct flag_key { u64 flags; u64 slot; };\nBPF_HISTOGRAM(dist, struct flag_key);';
    store = `struct flag_key fk = {.flags = key->flags, .slot = bpf_log2l(delta)};
    dist.atomic_increment(fk);`;
  } else {
    storage = 'BPF_HISTOGRAM(dist);';
    store = 'dist.atomic_increment(bpf_log2l(delta));';
  }
  if (o.extension) {
    storage += '\nstruct ext_val { u64 total; u64 count; };\nBPF_ARRAY(extension, struct ext_val, 1);';
    store += `
    u32 zero = 0;
    struct ext_val *ext = extension.lookup(&zero);
    if (ext) {
        lock_xadd(&ext->total, delta);
        lock_xadd(&ext->count, 1);
    }`;
  }
  const hooks: string[] = [];
  if (h.startKprobes.length > 0 || h.doneKprobe) {
    hooks.push(`
static u32 req_dev(struct request *req)
{
    struct gendisk *disk = req->${diskAt};
    return (disk->major << 20) | disk->first_minor;
}

static void req_key(struct start_key *key, struct request *req)
{
    __builtin_memset(key, 0, sizeof(*key));
    key->dev = req_dev(req);
    key->sector = req->__sector;
    key->flags = ${o.flags ? 'req->cmd_flags' : '0'};
}`);
    if (h.startKprobes.length > 0)
      hooks.push(`
int on_req_start(struct pt_regs *ctx, struct request *req)
{
    struct start_key key;
    req_key(&key, req);
    return req_start(&key);
}`);
    if (h.doneKprobe)
      hooks.push(`
int on_req_done(struct pt_regs *ctx, struct request *req)
{
    struct start_key key;
    req_key(&key, req);
    return req_done(&key);
}`);
  }
  const tpKey = (flags: boolean): string => `struct start_key key;
    __builtin_memset(&key, 0, sizeof(key));
    key.dev = args->dev;
    key.sector = args->sector;${
      flags
        ? `
    char rwbs[10];
    __builtin_memcpy(rwbs, args->rwbs, sizeof(rwbs));
    key.flags = rwbs_flags(rwbs);`
        : ''
    }`;
  if (h.startTracepoint)
    hooks.push(`
TRACEPOINT_PROBE(block, ${h.startTracepoint})
{
    ${tpKey(o.flags === true)}
    return req_start(&key);
}`);
  if (h.doneTracepoint)
    hooks.push(`
TRACEPOINT_PROBE(block, ${h.doneTracepoint})
{
    ${tpKey(o.flags === true)}
    return req_done(&key);
}`);
  return `#include <uapi/linux/ptrace.h>
#include <linux/blk-mq.h>

struct start_key {
    u32 dev;
    u32 pad;
    u64 sector;
    u64 flags;
};

BPF_HASH(start, struct start_key);
${storage}
${o.flags && (h.startTracepoint || h.doneTracepoint) ? RWBS_FLAGS_C : ''}
static int req_start(struct start_key *key)
{
    ${filter}
    u64 ts = bpf_ktime_get_ns();
    start.update(key, &ts);
    return 0;
}

static int req_done(struct start_key *key)
{
    u64 *tsp = start.lookup(key);
    if (tsp == 0)
        return 0; // missed the issue
    u64 delta = bpf_ktime_get_ns() - *tsp;
    delta /= ${o.milliseconds ? 1000000 : 1000};
    ${store}
    start.delete(key);
    return 0;
}
${hooks.join('\n')}
`;
}

/** The attachments for these hooks. */
export function blockAttachments(h: BlockHooks, startFn: string, doneFn: string): Attachment[] {
  const out: Attachment[] = h.startKprobes.map((f) => ({ kind: 'kprobe', target: f, fn: startFn }));
  if (h.startTracepoint) out.push(tracepointProbe('block', h.startTracepoint));
  if (h.doneKprobe) out.push({ kind: 'kprobe', target: h.doneKprobe, fn: doneFn });
  if (h.doneTracepoint) out.push(tracepointProbe('block', h.doneTracepoint));
  return out;
}

export default defineTool<Options>({
  name: 'biolatency',
  description: 'Summarize block device I/O latency as a histogram',
  examples: `
    tsbcc tool biolatency                    # summarize block I/O latency as a histogram
    tsbcc tool biolatency 1 10               # print 1 second summaries, 10 times
    tsbcc tool biolatency -mT 1              # 1s summaries, milliseconds, and timestamps
    tsbcc tool biolatency -Q                 # include OS queued time in I/O time
    tsbcc tool biolatency -D                 # show each disk device separately
    tsbcc tool biolatency -F                 # show I/O flags separately
    tsbcc tool biolatency -j                 # print a dictionary
    tsbcc tool biolatency -e                 # show extension summary(total, average)
    tsbcc tool biolatency -d sdc             # Trace sdc only`,
  configure(cmd) {
    cmd
      .option('-T, --timestamp', 'include timestamp on output')
      .option('-Q, --queued', 'include OS queued time in I/O time')
      .option('-m, --milliseconds', 'millisecond histogram')
      .option('-D, --disks', 'print a histogram per disk device')
      .option('-F, --flags', 'print a histogram per set of I/O flags')
      .option('-e, --extension', 'summarize average/total value')
      .option('-j, --json', 'json output')
      .option('-d, --disk <disk>', 'Trace this disk only');
    addIntervalArguments(cmd);
  },
  async run(o, args, s) {
    if (o.flags && o.disks) throw new InvalidArgumentError('can only use -D or -F');
    const h = blockHooks(s.kprobes, o.queued === true);
    if (!h.startTracepoint && h.startKprobes.length === 0)
      throw new InvalidArgumentError('no block I/O start probe or tracepoint on this kernel');
    const attachments = blockAttachments(h, 'on_req_start', 'on_req_done');
    const b = await s.loadFirst([program(o, h, 'q->disk'), program(o, h, 'rq_disk')], attachments);
    if (!b) return 0;
    const label = o.milliseconds ? 'msecs' : 'usecs';
    if (!o.json) s.print('Tracing block device I/O... Hit Ctrl-C to end.');
    const disk = diskNames();
    const dist = b.table('dist');
    const ext = o.extension ? b.table<number, { total: bigint; count: bigint }>('extension') : undefined;
    const section = o.flags
      ? { sectionHeader: 'flags', sectionPrintFn: (v: unknown) => requestFlagsName(v as number) }
      : { sectionHeader: 'disk', sectionPrintFn: (v: unknown) => disk(Number(v)) };
    const interval = (args[0] as number | undefined) ?? 99999999;
    const count = (args[1] as number | undefined) ?? 99999999;
    await s.everyInterval({ interval, count }, () => {
      s.print();
      if (o.timestamp) s.print(sprintf('%-8s', clockTime()));
      const entries = drain(dist).map(([k, v]) => [dropPad(k), v] as const);
      if (o.json) {
        for (const hst of log2HistJson(entries, { valType: label, ...section }))
          s.print(pyRepr(jsonShape(hst, section.sectionPrintFn)));
        return;
      }
      s.write(formatLog2Hist(entries, { valType: label, ...section }));
      if (ext) {
        const e = ext.get(0);
        ext.set(0, { total: 0n, count: 0n });
        if (e && e.count > 0n)
          s.print(`\navg = ${e.total / e.count} ${label}, total: ${e.total} ${label}, count: ${e.count}\n`);
      }
    });
    return 0;
  },
});

/** Histogram keys without their padding member (the printer takes the first two fields). */
function dropPad(k: unknown): unknown {
  if (typeof k !== 'object' || k === null || !('pad' in k)) return k;
  const { pad: _pad, ...rest } = k as Record<string, unknown>;
  return rest;
}

/** BCC's JSON histogram dict: ts, val_type, data, and the section as `header: name`. */
function jsonShape(h: JsonHist, name: (v: unknown) => string): Record<string, unknown> {
  const out: Record<string, unknown> = { ts: h.ts, val_type: h.val_type, data: h.data };
  if (h.section) out[h.section.header] = name(h.section.bucket);
  return out;
}
