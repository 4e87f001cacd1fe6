// bench/events producer: waits for a line on stdin, then calls getppid() for argv[1] seconds,
// as fast as it can or, with argv[2] > 0, paced at argv[2] calls per second (the calls due by
// the elapsed time, at most 1000 at once, napping 100 us when ahead); prints how many calls it
// made and the seconds it took.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv) {
  double secs = atof(argv[1]);
  double rate = argc > 2 ? atof(argv[2]) : 0;
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long n = 0;
  double el = 0;
  for (;;) {
    unsigned long due = 1000;
    if (rate > 0) {
      double want = rate * el;
      due = want > n ? (unsigned long)(want - n) : 0;
      if (due > 1000) due = 1000;
      if (due == 0) {
        struct timespec nap = {0, 100000};
        nanosleep(&nap, NULL);
      }
    }
    for (unsigned long i = 0; i < due; i++) syscall(SYS_getppid);
    n += due;
    el = since(&t0);
    if (el >= secs) break;
  }
  printf("%lu %.6f\n", n, el);
  return 0;
}
