/*
 * Extended-state isolation (test subjects, one image): "fpu_a" and "fpu_b" each fill
 * xmm0-15 (ymm0-15 with AVX) and MXCSR with their own pattern and spin inside one
 * assembly block, so preemptions land between the fill and the read-back. Any value
 * of the other subject (or a reset) seen on read-back is a leak. fpu_b reports to fpu_a
 * through an event; fpu_a prints both results on COM1 and powers off.
 */
#include "testlib.h"

#define SPIN 20000u
#define RUN_MS 100u

static uint8_t pattern[32] __attribute__((aligned(32)));
static uint8_t seen[16][32] __attribute__((aligned(32)));

/* Fill, spin, read back: one block so that the compiler cannot use the registers. */
static uint32_t fill_spin_check(bool avx, uint32_t mxcsr_in)
{
    uint32_t mxcsr_out = 0;
    if (avx) {
        __asm__ volatile(
            "ldmxcsr %[in]\n\t"
            "vmovdqa (%[p]), %%ymm0\n\tvmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\t"
            "vmovdqa %%ymm0, %%ymm3\n\tvmovdqa %%ymm0, %%ymm4\n\tvmovdqa %%ymm0, %%ymm5\n\t"
            "vmovdqa %%ymm0, %%ymm6\n\tvmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\t"
            "vmovdqa %%ymm0, %%ymm9\n\tvmovdqa %%ymm0, %%ymm10\n\tvmovdqa %%ymm0, %%ymm11\n\t"
            "vmovdqa %%ymm0, %%ymm12\n\tvmovdqa %%ymm0, %%ymm13\n\tvmovdqa %%ymm0, %%ymm14\n\t"
            "vmovdqa %%ymm0, %%ymm15\n\t"
            "mov %[n], %%ecx\n"
            "1:\n\tdec %%ecx\n\tjnz 1b\n\t"
            "vmovdqa %%ymm0, 0(%[s])\n\tvmovdqa %%ymm1, 32(%[s])\n\tvmovdqa %%ymm2, 64(%[s])\n\t"
            "vmovdqa %%ymm3, 96(%[s])\n\tvmovdqa %%ymm4, 128(%[s])\n\tvmovdqa %%ymm5, 160(%[s])\n\t"
            "vmovdqa %%ymm6, 192(%[s])\n\tvmovdqa %%ymm7, 224(%[s])\n\tvmovdqa %%ymm8, 256(%[s])\n\t"
            "vmovdqa %%ymm9, 288(%[s])\n\tvmovdqa %%ymm10, 320(%[s])\n\tvmovdqa %%ymm11, 352(%[s])\n\t"
            "vmovdqa %%ymm12, 384(%[s])\n\tvmovdqa %%ymm13, 416(%[s])\n\tvmovdqa %%ymm14, 448(%[s])\n\t"
            "vmovdqa %%ymm15, 480(%[s])\n\t"
            "stmxcsr %[out]\n\tvzeroupper"
            : [out] "=m"(mxcsr_out)
            : [in] "m"(mxcsr_in), [p] "r"(pattern), [s] "r"(seen), [n] "i"(SPIN)
            : "rcx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
              "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    } else {
        __asm__ volatile(
            "ldmxcsr %[in]\n\t"
            "movdqa (%[p]), %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\t"
            "movdqa %%xmm0, %%xmm3\n\tmovdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\t"
            "movdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\t"
            "movdqa %%xmm0, %%xmm9\n\tmovdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\t"
            "movdqa %%xmm0, %%xmm12\n\tmovdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\t"
            "movdqa %%xmm0, %%xmm15\n\t"
            "mov %[n], %%ecx\n"
            "1:\n\tdec %%ecx\n\tjnz 1b\n\t"
            "movdqa %%xmm0, 0(%[s])\n\tmovdqa %%xmm1, 32(%[s])\n\tmovdqa %%xmm2, 64(%[s])\n\t"
            "movdqa %%xmm3, 96(%[s])\n\tmovdqa %%xmm4, 128(%[s])\n\tmovdqa %%xmm5, 160(%[s])\n\t"
            "movdqa %%xmm6, 192(%[s])\n\tmovdqa %%xmm7, 224(%[s])\n\tmovdqa %%xmm8, 256(%[s])\n\t"
            "movdqa %%xmm9, 288(%[s])\n\tmovdqa %%xmm10, 320(%[s])\n\tmovdqa %%xmm11, 352(%[s])\n\t"
            "movdqa %%xmm12, 384(%[s])\n\tmovdqa %%xmm13, 416(%[s])\n\tmovdqa %%xmm14, 448(%[s])\n\t"
            "movdqa %%xmm15, 480(%[s])\n\t"
            "stmxcsr %[out]"
            : [out] "=m"(mxcsr_out)
            : [in] "m"(mxcsr_in), [p] "r"(pattern), [s] "r"(seen), [n] "i"(SPIN)
            : "rcx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
              "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    }
    return mxcsr_out;
}

int main(void)
{
    bool is_a = t_streq(moat_sinfo_page->subject_name, "fpu_a");
    bool avx = t_have_avx();
    uint32_t width = avx ? 32u : 16u;
    uint32_t mxcsr = is_a ? 0x3f80u : 0x5f80u; /* different rounding modes */
    for (uint32_t i = 0; i < 32u; i++) {
        pattern[i] = (uint8_t)(is_a ? 0xa0u + i : 0x50u + i);
    }
    uint64_t end = moat_rdtsc() + RUN_MS * moat_sinfo_page->tsc_khz;
    uint64_t rounds = 0;
    uint64_t leaks = 0;
    while (moat_rdtsc() < end) {
        uint32_t got = fill_spin_check(avx, mxcsr);
        leaks += (got & 0xffbfu) != mxcsr ? 1u : 0u; /* ignore the DAZ bit */
        for (uint32_t r = 0; r < 16u; r++) {
            for (uint32_t i = 0; i < width; i++) {
                leaks += seen[r][i] != pattern[i] ? 1u : 0u;
            }
        }
        rounds++;
    }
    if (!is_a) {
        moat_event_send(t_event(leaks == 0u ? "b_clean" : "b_leaked", MOAT_RES_EVENT_SEND));
        for (;;) {
            moat_yield();
        }
    }
    unsigned clean = t_event("b_clean", MOAT_RES_EVENT_RECV);
    int from_b = moat_event_wait();
    t_puts(avx ? "fpu: ymm0-15 + mxcsr, " : "fpu: xmm0-15 + mxcsr, ");
    t_putu(rounds);
    t_puts(" rounds\nfpu: fpu_a ");
    t_puts(leaks == 0u ? "clean" : "LEAKED");
    t_puts(", fpu_b ");
    t_puts(from_b == (int)clean ? "clean" : "LEAKED");
    t_puts("\n");
    moat_event_send(t_event("done", MOAT_RES_EVENT_SEND));
    return 0;
}
