/*
 * xsc-pac-attack: a return address overwritten on the stack, as a stack overflow would, so that
 * the function returns into "hijacked" instead of its caller.
 *
 * victim() is not a leaf (it calls printf), so its frame record [saved x29, saved x30] sits at its
 * frame pointer; it overwrites the saved x30 with hijacked's address. Built with
 * -mbranch-protection=standard (the cfi-compat toolchain), victim signs its return address on
 * entry (paciasp) and authenticates it before returning (autiasp): the forged address fails
 * authentication and the process dies (SIGILL with FEAT_FPAC, else SIGSEGV on the poisoned
 * address) before hijacked can print. Built by the base toolchain, the return goes to hijacked,
 * which prints and exits 0.
 */
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline, used)) static void hijacked(void) {
  printf("PAC: hijacked function ran\n");
  fflush(stdout);
  _exit(0);
}

__attribute__((noinline)) static void victim(void) {
  void *volatile *frame = __builtin_frame_address(0);
  printf("PAC: return address overwritten\n");
  fflush(stdout);
  frame[1] = (void *)hijacked;
}

int main(void) {
  victim();
  printf("PAC: victim returned to its caller\n");
  return 1;
}
