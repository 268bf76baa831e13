/*
 * Fresh registers on every start (test subjects, one image, linked with its own entry
 * point regs_start ahead of crt0). At its very first instruction "regs" (on-fault
 * restart) records every general register, RFLAGS, the OR of xmm0-15, MXCSR and the x87
 * control word, then runs crt0 and main. A start is clean when all general registers
 * but the documented ones (rip, rsp, rdi = the sinfo page) are 0, RFLAGS is IF only,
 * the vector registers are 0, MXCSR 0x1f80 and the control word 0x037f. Each life
 * tells the keeper (phoenix.c's, which powers off after three lives) and waits until the
 * log server has printed the kernel's lines so far (t_flush); a clean one then
 * fills every register with a pattern and faults (#UD, so the kernel restarts it), a
 * dirty one returns a mask of what was not fresh, which the kernel audits as the exit
 * status.
 * "spin_df" spins with RFLAGS.DF set, so timer interrupts enter the kernel with it.
 */
#include <moat/abi/layout.h>

#include "testlib.h"

enum {
    SEEN_GPRS = 14, /* words 0-13: rax rbx rcx rdx rsi rbp r8-r15, must be 0 */
    SEEN_RDI = 15,  /* word 14 (rsp) is not recorded */
    SEEN_RFLAGS = 16,
    SEEN_XMM = 17, /* two words: xmm0 | ... | xmm15 */
    SEEN_MXCSR = 19,
    SEEN_FCW = 20,
    SEEN_WORDS = 21,
};

uint64_t regs_seen[SEEN_WORDS];

/* Stores before anything else runs; only then the stack and crt0. */
__asm__(".section .text.regs_start, \"ax\"\n"
        ".globl regs_start\n"
        "regs_start:\n"
        "mov %rax, regs_seen+0(%rip)\n"
        "mov %rbx, regs_seen+8(%rip)\n"
        "mov %rcx, regs_seen+16(%rip)\n"
        "mov %rdx, regs_seen+24(%rip)\n"
        "mov %rsi, regs_seen+32(%rip)\n"
        "mov %rbp, regs_seen+40(%rip)\n"
        "mov %r8, regs_seen+48(%rip)\n"
        "mov %r9, regs_seen+56(%rip)\n"
        "mov %r10, regs_seen+64(%rip)\n"
        "mov %r11, regs_seen+72(%rip)\n"
        "mov %r12, regs_seen+80(%rip)\n"
        "mov %r13, regs_seen+88(%rip)\n"
        "mov %r14, regs_seen+96(%rip)\n"
        "mov %r15, regs_seen+104(%rip)\n"
        "mov %rdi, regs_seen+120(%rip)\n"
        "pushfq\n"
        "popq regs_seen+128(%rip)\n"
        "por %xmm1, %xmm0\n por %xmm2, %xmm0\n por %xmm3, %xmm0\n por %xmm4, %xmm0\n"
        "por %xmm5, %xmm0\n por %xmm6, %xmm0\n por %xmm7, %xmm0\n por %xmm8, %xmm0\n"
        "por %xmm9, %xmm0\n por %xmm10, %xmm0\n por %xmm11, %xmm0\n por %xmm12, %xmm0\n"
        "por %xmm13, %xmm0\n por %xmm14, %xmm0\n por %xmm15, %xmm0\n"
        "movdqu %xmm0, regs_seen+136(%rip)\n"
        "pxor %xmm0, %xmm0\n"
        "stmxcsr regs_seen+152(%rip)\n"
        "fnstcw regs_seen+160(%rip)\n"
        "jmp _start\n"
        ".previous\n");

/* Bit n set: the start was not fresh in word n of regs_seen (0 = clean). */
static int regs_dirty(void)
{
    int dirty = 0;
    for (int i = 0; i < SEEN_GPRS; i++) {
        dirty |= regs_seen[i] != 0u ? 1 << i : 0;
    }
    dirty |= regs_seen[SEEN_RDI] != MOAT_SINFO_VIRT ? 1 << SEEN_RDI : 0;
    dirty |= regs_seen[SEEN_RFLAGS] != 0x202u ? 1 << SEEN_RFLAGS : 0;
    dirty |= (regs_seen[SEEN_XMM] | regs_seen[SEEN_XMM + 1]) != 0u ? 1 << SEEN_XMM : 0;
    dirty |= (regs_seen[SEEN_MXCSR] & 0xffffffffu) != 0x1f80u ? 1 << SEEN_MXCSR : 0;
    dirty |= (regs_seen[SEEN_FCW] & 0xffffu) != 0x037fu ? 1 << SEEN_FCW : 0;
    return dirty;
}

/* Every general register but rsp, RFLAGS (CF, DF), the vector registers, MXCSR and the
 * x87 control word set to non-initial values, then #UD. */
static _Noreturn void fill_and_fault(void)
{
    static const uint32_t mxcsr = 0x1d80u;
    static const uint16_t fcw = 0x0272u;
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1\n\t"
                     "pcmpeqd %%xmm0, %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\t"
                     "movdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
                     "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\t"
                     "movdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7\n\t"
                     "movdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
                     "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\t"
                     "movdqa %%xmm0, %%xmm12\n\tmovdqa %%xmm0, %%xmm13\n\t"
                     "movdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15\n\t"
                     "movabs $0x5a5a5a5a5a5a5a01, %%rax\n\t"
                     "lea 1(%%rax), %%rbx\n\tlea 2(%%rax), %%rcx\n\tlea 3(%%rax), %%rdx\n\t"
                     "lea 4(%%rax), %%rsi\n\tlea 5(%%rax), %%rdi\n\tlea 6(%%rax), %%rbp\n\t"
                     "lea 7(%%rax), %%r8\n\tlea 8(%%rax), %%r9\n\tlea 9(%%rax), %%r10\n\t"
                     "lea 10(%%rax), %%r11\n\tlea 11(%%rax), %%r12\n\tlea 12(%%rax), %%r13\n\t"
                     "lea 13(%%rax), %%r14\n\tlea 14(%%rax), %%r15\n\t"
                     "std\n\tstc\n\tud2"
                     : : "m"(mxcsr), "m"(fcw));
    __builtin_unreachable();
}

static int regs(void)
{
    int dirty = regs_dirty();
    moat_event_send(t_event("born", MOAT_RES_EVENT_SEND));
    /* The last fault's kernel lines are out before this life provokes more: a fault loop
     * faster than the log server's frames overwrote the first ones in the kernel log. */
    t_flush();
    moat_yield();
    if (dirty != 0) {
        return dirty;
    }
    fill_and_fault();
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "spin_df")) {
        /* Interrupted with DF set in every frame: the kernel must run with DF 0. */
        __asm__ volatile("std\n\t1: jmp 1b");
    }
    return regs();
}
