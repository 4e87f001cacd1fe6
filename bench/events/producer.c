// bench/events producer: waits for a line on stdin, then calls getppid() as fast as it can for
// argv[1] seconds and prints how many calls it made.
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  double secs = atof(argv[1]);
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 1;
  struct timespec t0, t;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long n = 0;
  for (;;) {
    for (int i = 0; i < 1000; i++) syscall(SYS_getppid);
    n += 1000;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 >= secs) break;
  }
  printf("%lu %.6f\n", n, (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9);
  return 0;
}
