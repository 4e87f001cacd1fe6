// Holds the signals a busy process receives all the time (profiler and interval timers, child
// exits, terminal resizes, urgent data, I/O readiness) on the calling thread while a scope is
// alive. The verifier gives up with EAGAIN whenever a signal is pending for the loading thread;
// libbpf retries a program load 5 times, which is not enough under node --cpu-prof (a SIGPROF to
// the JS thread every millisecond, or every --cpu-prof-interval) when verifying takes longer than
// that. A held signal is not pending for the verifier and is delivered when the scope ends.
// Interrupting signals (SIGINT, SIGTERM, SIGHUP, SIGQUIT) are not held: they still cut a long
// verification short, as they do without tsbcc.
#pragma once
#include <signal.h>

namespace tsbcc {

class SignalsHeld {
 public:
  SignalsHeld() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGPROF, SIGVTALRM, SIGALRM, SIGCHLD, SIGWINCH, SIGURG, SIGIO}) sigaddset(&s, sig);
    held_ = pthread_sigmask(SIG_BLOCK, &s, &old_) == 0;
  }
  ~SignalsHeld() {
    if (held_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SignalsHeld(const SignalsHeld&) = delete;
  SignalsHeld& operator=(const SignalsHeld&) = delete;

 private:
  sigset_t old_;
  bool held_ = false;
};

}  // namespace tsbcc
