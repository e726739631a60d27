/*
 * xsc-bti-attack: an indirect call to an instruction that is not a BTI landing pad.
 *
 * xsc_gadget_entry starts with a landing pad ("bti c", hint #34); the attack calls the address
 * after it, as a control-flow hijack that lands in the middle of a function would. On an aarch64
 * CPU with BTI, a binary marked BTI (GNU property note, which the cfi-compat toolchain's
 * -mbranch-protection=standard and -z force-bti give it) has its code mapped with PROT_BTI by the
 * XSC ld.so, and the branch raises a Branch Target exception: the kernel kills the process with
 * SIGILL before "not enforced" is printed. Built by the base toolchain (no BTI marking) the branch
 * simply runs.
 */
#include <stdio.h>

__asm__(
    ".text\n"
    ".balign 8\n"
    ".global xsc_gadget_entry\n"
    ".type xsc_gadget_entry, %function\n"
    "xsc_gadget_entry:\n"
    "  hint #34\n"          /* bti c: the only valid target of an indirect call */
    "  mov x0, #42\n"       /* xsc_gadget_entry + 4: not a landing pad */
    "  ret\n"
    ".size xsc_gadget_entry, .-xsc_gadget_entry\n");

extern int xsc_gadget_entry(void);

int main(void) {
  /* Computed at run time, so the compiler cannot make the call a direct one. */
  volatile unsigned long skip = 4;
  int (*target)(void) = (int (*)(void))((unsigned long)&xsc_gadget_entry + skip);
  printf("BTI: indirect branch to a non-landing-pad instruction\n");
  fflush(stdout);
  int r = target();
  printf("BTI: not enforced: the branch ran (returned %d)\n", r);
  return 0;
}
