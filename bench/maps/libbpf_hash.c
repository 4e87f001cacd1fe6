// libbpf C reference of bench/maps/hash-dump.ts: a u32 -> u64 hash of N entries, dumped with
// bpf_map_lookup_batch (the physical limit of reading it) and cleared with
// bpf_map_delete_batch of the dumped keys (refilled before each clear, untimed). Usage:
// libbpf_hash N REPS CLEAR_REPS; one warm-up dump, then REPS timed dumps and CLEAR_REPS timed
// clears, as every tool of the bench. Prints one JSON line of medians in milliseconds.
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  __u32 n = atoi(argv[1]);
  int reps = atoi(argv[2]);
  int clear_reps = argc > 3 ? atoi(argv[3]) : 1;
  int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "h", 4, 8, n, NULL);
  if (fd < 0) return perror("bpf_map_create"), 1;
  __u32 *keys = malloc(n * 4), *outk = malloc(n * 4);
  __u64 *vals = malloc(n * 8), *outv = malloc(n * 8);
  for (__u32 i = 0; i < n; i++) keys[i] = i, vals[i] = i;
  __u32 cnt = n;
  if (bpf_map_update_batch(fd, keys, vals, &cnt, NULL)) return perror("update_batch"), 1;
  double *t = calloc(reps + 1, sizeof(double));
  for (int r = -1; r < reps; r++) { /* r = -1: the warm-up, not timed */
    double t0 = now_ms();
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
    if (r >= 0) t[r] = now_ms() - t0;
    if (total != n) return fprintf(stderr, "got %u\n", total), 1;
  }
  qsort(t, reps, sizeof(double), cmp);
  double *c = calloc(clear_reps, sizeof(double));
  for (int r = 0; r < clear_reps; r++) {
    cnt = n;
    if (r > 0 && bpf_map_update_batch(fd, keys, vals, &cnt, NULL)) return perror("update_batch"), 1;
    double t0 = now_ms();
    cnt = n;
    if (bpf_map_delete_batch(fd, outk, &cnt, NULL)) return perror("delete_batch"), 1;
    c[r] = now_ms() - t0;
    if (cnt != n) return fprintf(stderr, "deleted %u\n", cnt), 1;
  }
  qsort(c, clear_reps, sizeof(double), cmp);
  printf("{\"batch\": %.3f, \"clear\": %.3f}\n", t[reps / 2], c[clear_reps / 2]);
  return 0;
}
