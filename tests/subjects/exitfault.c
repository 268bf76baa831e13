/*
 * Return-path faults (test subjects for tests/systems/exit-fault, which boots a white-box
 * test kernel). "bad_ss" (on-fault restart) tells "keeper" it lives, then spins with the
 * mark EXIT_FAULT_MARK_SS in r15: the test kernel returns to it after the next interrupt
 * with a kernel SS, so its iretq raises #GP in ring 0, which must be contained as
 * bad_ss's fault. "bad_rip" spins with EXIT_FAULT_MARK_RIP: the test kernel gives its
 * saved frame a non-canonical RIP, which the exit check must refuse. Their keeper is
 * phoenix.elf's.
 */
#include "testlib.h"

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "bad_ss")) {
        moat_event_send(t_event("born", MOAT_RES_EVENT_SEND));
        __asm__ volatile("movabs %0, %%r15\n\t1: jmp 1b" : : "i"(EXIT_FAULT_MARK_SS) : "r15");
    }
    if (t_streq(moat_sinfo_page->subject_name, "bad_rip")) {
        __asm__ volatile("movabs %0, %%r15\n\t1: jmp 1b" : : "i"(EXIT_FAULT_MARK_RIP) : "r15");
    }
    return 0;
}
