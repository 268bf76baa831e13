/*
 * x87 last-instruction and last-operand pointers (test subjects, one image). "x87_a"
 * spins loading a marker with an x87 instruction, so its FIP and FDP name that
 * instruction and operand whenever it is preempted. "x87_b" yields and, each time it
 * runs again, reads its own pointers with fnstenv: on a CPU whose FXRSTOR/XRSTOR leave
 * them alone (AMD's, unless an exception is pending; also QEMU TCG's), a kernel that
 * does not overwrite them hands x87_a's over. Clean after ROUNDS rounds: x87_b sends
 * "done" (poweroff); a leak: it faults with ud2 (an audit record the test forbids).
 */
#include "testlib.h"

#define ROUNDS 50u

static volatile double marker = 1.0;
extern const char x87_a_load[];

static int x87_a(void)
{
    for (;;) {
        __asm__ volatile(".globl x87_a_load\n"
                         "x87_a_load:\n\t"
                         "fldl %0\n\t"
                         "fstp %%st(0)"
                         :
                         : "m"(marker));
    }
}

static int x87_b(void)
{
    unsigned done = t_event("done", MOAT_RES_EVENT_SEND);
    for (uint32_t round = 0; round < ROUNDS; round++) {
        moat_yield();
        uint32_t env[7];
        __asm__ volatile("fnstenv %0" : "=m"(env));
        uint32_t fip = env[3], fdp = env[5];
        if (fip == (uint32_t)(uintptr_t)x87_a_load || fdp == (uint32_t)(uintptr_t)&marker) {
            __asm__ volatile("ud2");
        }
    }
    moat_event_send(done);
    return 0;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "x87_a")) {
        return x87_a();
    }
    return x87_b();
}
