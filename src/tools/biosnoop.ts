/**
 * biosnoop: one line per block I/O with the process that issued it, disk, direction, sector,
 * size and latency. The process is taken when the I/O is accounted (block_io_start, or a kprobe
 * on the accounting start), the latency from issue (kprobe blk_mq_start_request, or the
 * block_rq_issue tracepoint) to completion (block_io_done, a kprobe on the accounting end, or
 * block_rq_complete) — BCC's choices where the kernel has kprobes, tracepoints where not.
 */
import { ksymname } from '../tracing/ksyms.js';
import { tracepointExists } from '../tracing/attach.js';
import { diskDev, diskNames, firstKprobeable } from './block.js';
import { sprintf } from './format.js';
import { tracepointProbe, type Attachment } from './session.js';
import { defineTool } from './tool.js';

interface Options {
  queue?: boolean;
  disk?: string;
  pattern?: boolean;
}

interface BioEvent {
  pid: number;
  dev: number;
  rwflag: bigint;
  delta: bigint;
  qdelta: bigint;
  sector: bigint;
  len: bigint;
  pattern: number;
  ts: bigint;
  name: string;
}

type Hook = { kprobe: string } | { tracepoint: string };

interface Hooks {
  pidStart?: Hook;
  reqStart: Hook[];
  done?: Hook;
}

function hooks(kprobes: boolean): Hooks {
  const tp = (n: string): Hook | undefined => (tracepointExists('block', n) ? { tracepoint: n } : undefined);
  const k = (names: string[]): Hook | undefined => {
    const f = kprobes ? firstKprobeable(names) : undefined;
    return f ? { kprobe: f } : undefined;
  };
  const pidStart =
    tp('block_io_start') ?? k(['__blk_account_io_start', 'blk_account_io_start']) ?? tp('block_bio_queue');
  const reqStart: Hook[] = kprobes
    ? [
        ...(ksymname('blk_start_request') !== -1n ? [{ kprobe: 'blk_start_request' }] : []),
        { kprobe: 'blk_mq_start_request' },
      ]
    : [{ tracepoint: 'block_rq_issue' }];
  const done =
    tp('block_io_done') ?? k(['__blk_account_io_done', 'blk_account_io_done']) ?? tp('block_rq_complete');
  return { ...(pidStart ? { pidStart } : {}), reqStart, ...(done ? { done } : {}) };
}

function program(o: Options, h: Hooks, diskAt: 'q->disk' | 'rq_disk'): string {
  const filter = o.disk !== undefined ? `if (key->dev != ${diskDev(o.disk)}) return 0;` : '';
  const usesKprobe = [h.pidStart, ...h.reqStart, h.done].some((x) => x && 'kprobe' in x);
  const fns: string[] = [];
  const fromReq = (fn: string, call: string): string => `
int ${fn}(struct pt_regs *ctx, struct request *req)
{
    struct hash_key key;
    req_key(&key, req);
    return ${call};
}`;
  const fromTp = (tp: string, call: string): string => `
TRACEPOINT_PROBE(block, ${tp})
{
    struct hash_key key;
    tp_key(&key, args->dev, args->sector, args->rwbs);
    return ${call};
}`;
  const add = (hk: Hook | undefined, fn: string, call: string): void => {
    if (!hk) return;
    if ('kprobe' in hk) {
      if (!fns.some((f) => f.includes(`int ${fn}(`))) fns.push(fromReq(fn, call));
    } else fns.push(fromTp(hk.tracepoint, call.replace('req->__data_len', 'args->bytes')));
  };
  add(h.pidStart, 'on_pid_start', 'pid_start(&key)');
  for (const r of h.reqStart) add(r, 'on_req_start', 'req_start(&key, req->__data_len)');
  add(h.done, 'on_req_done', `req_done(${h.done && 'tracepoint' in h.done ? 'args' : 'ctx'}, &key)`);
  return `#include <uapi/linux/ptrace.h>
#include <linux/blk-mq.h>

struct start_req {
    u64 ts;
    u64 data_len;
};

struct who {
    u64 ts;
    u32 pid;
    char name[TASK_COMM_LEN];
};

struct hash_key {
    u32 dev;
    u32 rwflag;
    u64 sector;
};

struct sector_key {
    u32 dev_major;
    u32 dev_minor;
};

struct bio_event {
    u32 pid;
    u32 dev;
    u64 rwflag;
    u64 delta;
    u64 qdelta;
    u64 sector;
    u64 len;
    u32 pattern; // 0 unknown, 1 sequential, 2 random
    u64 ts;
    char name[TASK_COMM_LEN];
};

BPF_HASH(start, struct hash_key, struct start_req);
BPF_HASH(infobyreq, struct hash_key, struct who);
BPF_HASH(last_sectors, struct sector_key, u64);
BPF_PERF_OUTPUT(events);
${
  usesKprobe
    ? `
static void req_key(struct hash_key *key, struct request *req)
{
    struct gendisk *disk = req->${diskAt};
    key->dev = (disk->major << 20) | disk->first_minor;
    key->rwflag = (req->cmd_flags & 0xff) == 1; // REQ_OP_WRITE
    key->sector = req->__sector;
}
`
    : ''
}
static void tp_key(struct hash_key *key, u32 dev, u64 sector, const char *rwbs_in)
{
    char rwbs[8];
    __builtin_memcpy(rwbs, rwbs_in, sizeof(rwbs));
    key->dev = dev;
    key->sector = sector;
    key->rwflag = 0;
    #pragma unroll
    for (int i = 0; i < 8; i++) {
        if (rwbs[i] == 0)
            break;
        if (rwbs[i] == 'W') {
            key->rwflag = 1;
            break;
        }
    }
}

static int pid_start(struct hash_key *key)
{
    ${filter}
    struct who w = {};
    if (bpf_get_current_comm(&w.name, sizeof(w.name)) == 0) {
        w.pid = bpf_get_current_pid_tgid() >> 32;
        ${o.queue ? 'w.ts = bpf_ktime_get_ns();' : ''}
        infobyreq.update(key, &w);
    }
    return 0;
}

static int req_start(struct hash_key *key, u64 len)
{
    ${filter}
    struct start_req s = {.ts = bpf_ktime_get_ns(), .data_len = len};
    start.update(key, &s);
    return 0;
}

static int req_done(void *ctx, struct hash_key *key)
{
    struct start_req *s = start.lookup(key);
    if (s == 0)
        return 0; // missed the issue
    u64 ts = bpf_ktime_get_ns();
    struct bio_event ev = {};
    ev.delta = ts - s->ts;
    ev.ts = ts / 1000;
    ev.len = s->data_len;
    ev.dev = key->dev;
    ev.sector = key->sector;
    ev.rwflag = key->rwflag;
    struct who *w = infobyreq.lookup(key);
    if (w == 0) {
        ev.name[0] = '?';
    } else {
        ${o.queue ? 'ev.qdelta = s->ts - w->ts;' : ''}
        ev.pid = w->pid;
        __builtin_memcpy(&ev.name, w->name, sizeof(ev.name));
    }
    ${
      o.pattern
        ? `struct sector_key sk = {.dev_major = key->dev >> 20, .dev_minor = key->dev & ((1 << 20) - 1)};
    u64 *last = last_sectors.lookup(&sk);
    if (last != 0)
        ev.pattern = key->sector == *last ? 1 : 2;
    u64 next = key->sector + ev.len / 512;
    last_sectors.update(&sk, &next);`
        : ''
    }
    events.perf_submit(ctx, &ev, sizeof(ev));
    start.delete(key);
    infobyreq.delete(key);
    return 0;
}
${fns.join('\n')}
`;
}

function attachments(h: Hooks): Attachment[] {
  const out: Attachment[] = [];
  const add = (hk: Hook | undefined, fn: string): void => {
    if (!hk) return;
    out.push(
      'kprobe' in hk ? { kind: 'kprobe', target: hk.kprobe, fn } : tracepointProbe('block', hk.tracepoint),
    );
  };
  add(h.pidStart, 'on_pid_start');
  for (const r of h.reqStart) add(r, 'on_req_start');
  add(h.done, 'on_req_done');
  return out;
}

export default defineTool<Options>({
  name: 'biosnoop',
  description: 'Trace block I/O',
  examples: `
    tsbcc tool biosnoop           # trace all block I/O
    tsbcc tool biosnoop -Q        # include OS queued time
    tsbcc tool biosnoop -d sdc    # trace sdc only
    tsbcc tool biosnoop -P        # display block I/O pattern`,
  configure(cmd) {
    cmd
      .option('-Q, --queue', 'include OS queued time')
      .option('-d, --disk <disk>', 'trace this disk only')
      .option('-P, --pattern', 'display block I/O pattern (sequential or random)');
  },
  async run(o, _args, s) {
    const h = hooks(s.kprobes);
    const b = await s.loadFirst([program(o, h, 'q->disk'), program(o, h, 'rq_disk')], attachments(h));
    if (!b) return 0;
    const disk = diskNames();
    let first: bigint | undefined;
    s.perfBuffer<BioEvent>(b, 'events', (e) => {
      first ??= e.ts;
      let line = sprintf(
        '%-11.6f %-14.14s %-7s %-9s %-1s %-10s %-7s',
        Number(e.ts - first) / 1e6,
        e.name,
        e.pid,
        disk(e.dev, '<unknown>'),
        e.rwflag === 1n ? 'W' : 'R',
        e.sector,
        e.len,
      );
      if (o.pattern) line += sprintf('%-1s ', e.pattern === 1 ? 'S' : e.pattern === 2 ? 'R' : '?');
      if (o.queue) line += sprintf('%7.2f ', Number(e.qdelta) / 1e6);
      s.print(line + sprintf('%7.2f', Number(e.delta) / 1e6));
    });
    // the header says the tool is tracing: the perf rings are open by then
    let header = sprintf(
      '%-11s %-14s %-7s %-9s %-1s %-10s %-7s',
      'TIME(s)',
      'COMM',
      'PID',
      'DISK',
      'T',
      'SECTOR',
      'BYTES',
    );
    if (o.pattern) header += sprintf('%-1s ', 'P');
    if (o.queue) header += sprintf('%7s ', 'QUE(ms)');
    s.print(header + sprintf('%7s', 'LAT(ms)'));
    await s.wait();
    return 0;
  },
});
