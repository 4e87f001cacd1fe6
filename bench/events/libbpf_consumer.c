// libbpf C reference of bench/events: loads events.bpf.o (argv[1]), starts the producer
// (argv[2], run for argv[3] seconds), consumes the ring buffer (argv[4] = ring) or perf buffer
// (perf) with a counting callback (argv[5] events per call) until the producer is done, prints one JSON line.
// argv[6] (perf only, default 1): the perf events' wakeup_events, as tsbcc's wakeupEvents option
// (perf_buffer__new_raw with libbpf's default attributes but that field). argv[7] (default 0):
// the producer's pace in calls per second (0: as fast as it can). "drained" is the time from
// the start signal until the last poll that handed over records returned.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static unsigned long received, lost;
static volatile __u64 sink;

static int on_ring(void *ctx, void *data, size_t size) {
  sink += ((__u64 *)data)[1];  // touch the event like a consumer would
  received++;
  return 0;
}
static void on_perf(void *ctx, int cpu, void *data, __u32 size) {
  sink += ((__u64 *)data)[1];
  received++;
}
static void on_lost(void *ctx, int cpu, __u64 n) { lost += n; }

// Raw records of perf_buffer__new_raw: a sample carries (size, data), a lost record (id, lost).
static enum bpf_perf_event_ret on_raw(void *ctx, int cpu, struct perf_event_header *h) {
  if (h->type == PERF_RECORD_SAMPLE) {
    struct {
      struct perf_event_header h;
      __u32 size;
      char data[];
    } *s = (void *)h;
    on_perf(ctx, cpu, s->data, s->size);
  } else if (h->type == PERF_RECORD_LOST) {
    struct {
      struct perf_event_header h;
      __u64 id, lost;
    } *l = (void *)h;
    on_lost(ctx, cpu, l->lost);
  }
  return LIBBPF_PERF_EVENT_CONT;
}

int main(int argc, char **argv) {
  int ring = strcmp(argv[4], "ring") == 0;
  struct bpf_object *o = bpf_object__open_file(argv[1], NULL);
  if (!o || bpf_object__load(o)) return fprintf(stderr, "load failed\n"), 1;
  struct bpf_link *l = bpf_program__attach(bpf_object__find_program_by_name(o, "produce"));
  if (!l) return fprintf(stderr, "attach failed\n"), 1;
  int cfg = bpf_map__fd(bpf_object__find_map_by_name(o, "cfg"));
  int stats = bpf_map__fd(bpf_object__find_map_by_name(o, "stats"));
  struct ring_buffer *rb = NULL;
  struct perf_buffer *pb = NULL;
  if (ring)
    rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(o, "rb")), on_ring, NULL, NULL);
  else {
    int wakeup = argc > 6 ? atoi(argv[6]) : 1;
    int fd = bpf_map__fd(bpf_object__find_map_by_name(o, "events"));
    if (wakeup <= 1) {
      pb = perf_buffer__new(fd, 256, on_perf, on_lost, NULL, NULL);
    } else {
      struct perf_event_attr attr = {0};
      attr.config = PERF_COUNT_SW_BPF_OUTPUT;
      attr.type = PERF_TYPE_SOFTWARE;
      attr.sample_type = PERF_SAMPLE_RAW;
      attr.sample_period = 1;
      attr.wakeup_events = wakeup;
      pb = perf_buffer__new_raw(fd, 256, &attr, on_raw, NULL, NULL);
    }
    if (!pb) return fprintf(stderr, "perf_buffer__new failed\n"), 1;
  }
  int in[2], out[2];
  if (pipe(in) || pipe(out)) return 1;
  pid_t child = fork();
  if (child == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    execl(argv[2], argv[2], argv[3], argc > 7 ? argv[7] : "0", (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  __u32 k = 0, v = child;
  bpf_map_update_elem(cfg, &k, &v, 0);
  k = 1;
  v = ring ? 1 : 2;
  bpf_map_update_elem(cfg, &k, &v, 0);
  k = 2;
  v = atoi(argv[5]);
  bpf_map_update_elem(cfg, &k, &v, 0);
  struct timespec t0, t1;
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (write(in[1], "go\n", 3) != 3) return 1;
  int status;
  // t1: when the last poll that handed over records returned (not when the loop noticed the
  // producer's exit, up to one 100 ms poll timeout later)
  t1 = t0;
  while (waitpid(child, &status, WNOHANG) == 0) {
    unsigned long before = received;
    if (ring) ring_buffer__poll(rb, 100);
    else perf_buffer__poll(pb, 100);
    if (received != before) clock_gettime(CLOCK_MONOTONIC, &t1);
  }
  unsigned long before = received;
  if (ring) ring_buffer__consume(rb);
  else perf_buffer__consume(pb);
  if (received != before) clock_gettime(CLOCK_MONOTONIC, &t1);
  getrusage(RUSAGE_SELF, &r1);
  double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
               ((r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec)) / 1e6;
  char buf[128] = {0};
  if (read(out[0], buf, sizeof buf - 1) <= 0) return 1;
  unsigned long calls;
  double secs;
  sscanf(buf, "%lu %lf", &calls, &secs);
  __u64 drops;
  k = 0;
  bpf_map_lookup_elem(stats, &k, &drops);
 calls *= atoi(argv[5]);
  double drained = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"calls\": %lu, \"seconds\": %.6f, \"drained\": %.6f, \"received\": %lu, \"drops\": %llu, \"lost\": %lu, \"cpu\": %.6f}\n",
         calls, secs, drained, received, (unsigned long long)drops, lost, cpu);
  return 0;
}
