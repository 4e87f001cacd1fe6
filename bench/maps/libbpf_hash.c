// libbpf C reference of bench/maps/hash-dump.ts: a u32 -> u64 hash of N entries, dumped with
// bpf_map_lookup_batch (the physical limit of reading it) and cleared with
// bpf_map_delete_batch of the dumped keys. Usage: libbpf_hash N, then one command per line on
// stdin, one JSON line per command on stdout (wall and process CPU milliseconds), so the harness can alternate the
// tools per repetition (a first line {"ready": true} once the map is filled):
//   dump   time one whole-map batch lookup (checks that it read N entries)
//   clear  refill the map (untimed), then time one delete batch of every key
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/** The process's CPU time (user + system, every thread) in milliseconds. */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: libbpf_hash N\n"), 2;
  __u32 n = atoi(argv[1]);
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 8, n, NULL);
  if (fd < 0) return perror("bpf_map_create"), 1;
  __u32 *keys = malloc(n * 4), *outk = malloc(n * 4);
  __u64 *vals = malloc(n * 8), *outv = malloc(n * 8);
  for (__u32 i = 0; i < n; i++) keys[i] = i, vals[i] = i;
  __u32 cnt = n;
  if (bpf_map_update_batch(fd, keys, vals, &cnt, NULL)) return perror("update_batch"), 1;
  printf("{\"ready\": true}\n");
  fflush(stdout);
  char line[64];
  while (fgets(line, sizeof line, stdin)) {
    double ms, cpu;
    if (strncmp(line, "dump", 4) == 0) {
      double t0 = now_ms(), c0 = cpu_ms();
      __u32 total = 0, batch, in = 0, out = 0;
      int first = 1;
      for (;;) {
        batch = n - total;
        int rc = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, outk + total, outv + total, &batch, NULL);
        total += batch;
        if (rc && errno == ENOENT) break;
        if (rc) return perror("lookup_batch"), 1;
        in = out;
        first = 0;
      }
      ms = now_ms() - t0;
      cpu = cpu_ms() - c0;
      if (total != n) return fprintf(stderr, "got %u\n", total), 1;
    } else if (strncmp(line, "clear", 5) == 0) {
      cnt = n;
      if (bpf_map_update_batch(fd, keys, vals, &cnt, NULL)) return perror("update_batch"), 1;
      double t0 = now_ms(), c0 = cpu_ms();
      cnt = n;
      if (bpf_map_delete_batch(fd, keys, &cnt, NULL)) return perror("delete_batch"), 1;
      ms = now_ms() - t0;
      cpu = cpu_ms() - c0;
      if (cnt != n) return fprintf(stderr, "deleted %u\n", cnt), 1;
    } else {
      return fprintf(stderr, "unknown command %s", line), 2;
    }
    printf("{\"ms\": %.3f, \"cpu\": %.3f}\n", ms, cpu);
    fflush(stdout);
  }
  return 0;
}
