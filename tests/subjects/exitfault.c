/*
 * Return-path faults (test subjects for tests/systems/exit-fault, which boots a white-box
 * test kernel). "bad_ss" (on-fault restart) tells "keeper" it lives, then spins with the
 * mark EXIT_FAULT_MARK_SS in r15: the test kernel returns to it after the next interrupt
 * with a kernel SS, so its iretq raises #GP in ring 0, which must be contained as
 * bad_ss's fault. "bad_rip" spins with EXIT_FAULT_MARK_RIP: the test kernel gives its
 * saved frame a non-canonical RIP, which the exit check must refuse. Their keeper is
 * phoenix.elf's. bad_ss fills every other general register (and rsp) with its own
 * pattern first: the test kernel prints the registers its audit record gets, which must
 * be these (rebuilt from the fault's frame and the iretq frame). "relive" (on-fault
 * restart) yields once, then raises #UD in its next frame: its reset ends within that
 * frame, so it is entered again with no other subject entered in between, and the test
 * kernel checks that its old frame left the trampoline (arch_subject_init).
 */
#include "testlib.h"

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "bad_ss")) {
        moat_event_send(t_event("born", MOAT_RES_EVENT_SEND));
        /* rax 0x5e5e00000011, rbx 0x5e5e00000022, ... r14 0x5e5e000000ff (the audit's
         * order, rsp skipped), rsp 0x5e5e00000780. It never returns. */
        __asm__ volatile("movabs $0x5e5e00000011, %%rax\n\t"
                         "movabs $0x5e5e00000022, %%rbx\n\t"
                         "movabs $0x5e5e00000033, %%rcx\n\t"
                         "movabs $0x5e5e00000044, %%rdx\n\t"
                         "movabs $0x5e5e00000055, %%rsi\n\t"
                         "movabs $0x5e5e00000066, %%rdi\n\t"
                         "movabs $0x5e5e00000077, %%rbp\n\t"
                         "movabs $0x5e5e00000780, %%rsp\n\t"
                         "movabs $0x5e5e00000099, %%r8\n\t"
                         "movabs $0x5e5e000000aa, %%r9\n\t"
                         "movabs $0x5e5e000000bb, %%r10\n\t"
                         "movabs $0x5e5e000000cc, %%r11\n\t"
                         "movabs $0x5e5e000000dd, %%r12\n\t"
                         "movabs $0x5e5e000000ee, %%r13\n\t"
                         "movabs $0x5e5e000000ff, %%r14\n\t"
                         "movabs %0, %%r15\n\t1: jmp 1b" : : "i"(EXIT_FAULT_MARK_SS));
        __builtin_unreachable();
    }
    if (t_streq(moat_sinfo_page->subject_name, "relive")) {
        moat_yield();
        __builtin_trap();
    }
    if (t_streq(moat_sinfo_page->subject_name, "bad_rip")) {
        __asm__ volatile("movabs %0, %%r15\n\t1: jmp 1b" : : "i"(EXIT_FAULT_MARK_RIP) : "r15");
    }
    return 0;
}
