/*
 * The native witnesses beside the red-team guest (tests/vm-attack/attack.c), by name:
 * "sse" fills xmm0-15 (ymm0-15 with AVX) with its pattern, spins inside one assembly
 * block across many of its frame ends (a VM runs between them), reads them back and
 * says whether any byte changed; then it has the log server power off. A VM that
 * changes host state the kernel does not switch (XCR0: what XSAVE saves) shows here.
 */
#include "testlib.h"

#define ROUNDS 8u
#define SPIN_MS 10u

static uint8_t pattern[32] __attribute__((aligned(32)));
static uint8_t seen[16][32] __attribute__((aligned(32)));

/* Fill, spin until the TSC passes `until`, read back: one block, no call between. */
static void fill_spin_read(bool avx, uint64_t until)
{
    if (avx) {
        __asm__ volatile(
            "vmovdqa (%[p]), %%ymm0\n\tvmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\t"
            "vmovdqa %%ymm0, %%ymm3\n\tvmovdqa %%ymm0, %%ymm4\n\tvmovdqa %%ymm0, %%ymm5\n\t"
            "vmovdqa %%ymm0, %%ymm6\n\tvmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\t"
            "vmovdqa %%ymm0, %%ymm9\n\tvmovdqa %%ymm0, %%ymm10\n\tvmovdqa %%ymm0, %%ymm11\n\t"
            "vmovdqa %%ymm0, %%ymm12\n\tvmovdqa %%ymm0, %%ymm13\n\tvmovdqa %%ymm0, %%ymm14\n\t"
            "vmovdqa %%ymm0, %%ymm15\n"
            "1:\n\trdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax\n\tcmp %[until], %%rax\n\tjb 1b\n\t"
            "vmovdqa %%ymm0, 0(%[s])\n\tvmovdqa %%ymm1, 32(%[s])\n\tvmovdqa %%ymm2, 64(%[s])\n\t"
            "vmovdqa %%ymm3, 96(%[s])\n\tvmovdqa %%ymm4, 128(%[s])\n\tvmovdqa %%ymm5, 160(%[s])\n\t"
            "vmovdqa %%ymm6, 192(%[s])\n\tvmovdqa %%ymm7, 224(%[s])\n\tvmovdqa %%ymm8, 256(%[s])\n\t"
            "vmovdqa %%ymm9, 288(%[s])\n\tvmovdqa %%ymm10, 320(%[s])\n\tvmovdqa %%ymm11, 352(%[s])\n\t"
            "vmovdqa %%ymm12, 384(%[s])\n\tvmovdqa %%ymm13, 416(%[s])\n\tvmovdqa %%ymm14, 448(%[s])\n\t"
            "vmovdqa %%ymm15, 480(%[s])\n\tvzeroupper"
            :
            : [p] "r"(pattern), [s] "r"(seen), [until] "r"(until)
            : "rax", "rdx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
              "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    } else {
        __asm__ volatile(
            "movdqa (%[p]), %%xmm0\n\tmovdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\t"
            "movdqa %%xmm0, %%xmm3\n\tmovdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\t"
            "movdqa %%xmm0, %%xmm6\n\tmovdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\t"
            "movdqa %%xmm0, %%xmm9\n\tmovdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\t"
            "movdqa %%xmm0, %%xmm12\n\tmovdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\t"
            "movdqa %%xmm0, %%xmm15\n"
            "1:\n\trdtsc\n\tshl $32, %%rdx\n\tor %%rdx, %%rax\n\tcmp %[until], %%rax\n\tjb 1b\n\t"
            "movdqa %%xmm0, 0(%[s])\n\tmovdqa %%xmm1, 32(%[s])\n\tmovdqa %%xmm2, 64(%[s])\n\t"
            "movdqa %%xmm3, 96(%[s])\n\tmovdqa %%xmm4, 128(%[s])\n\tmovdqa %%xmm5, 160(%[s])\n\t"
            "movdqa %%xmm6, 192(%[s])\n\tmovdqa %%xmm7, 224(%[s])\n\tmovdqa %%xmm8, 256(%[s])\n\t"
            "movdqa %%xmm9, 288(%[s])\n\tmovdqa %%xmm10, 320(%[s])\n\tmovdqa %%xmm11, 352(%[s])\n\t"
            "movdqa %%xmm12, 384(%[s])\n\tmovdqa %%xmm13, 416(%[s])\n\tmovdqa %%xmm14, 448(%[s])\n\t"
            "movdqa %%xmm15, 480(%[s])"
            :
            : [p] "r"(pattern), [s] "r"(seen), [until] "r"(until)
            : "rax", "rdx", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
              "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    }
}

static void sse(void)
{
    bool avx = t_have_avx();
    uint32_t width = avx ? 32u : 16u;
    for (uint32_t i = 0; i < 32u; i++) {
        pattern[i] = (uint8_t)(0xa0u + i);
    }
    uint64_t changed = 0;
    for (uint32_t round = 0; round < ROUNDS; round++) {
        __builtin_memset(seen, 0, sizeof(seen));
        fill_spin_read(avx, moat_rdtsc() + SPIN_MS * moat_sinfo_page->tsc_khz);
        for (uint32_t r = 0; r < 16u; r++) {
            for (uint32_t i = 0; i < width; i++) {
                changed += seen[r][i] != pattern[i] ? 1u : 0u;
            }
        }
    }
    t_puts(avx ? "sse: ymm0-15 over " : "sse: xmm0-15 over ");
    t_putu(ROUNDS);
    t_puts(changed == 0u ? " rounds: kept\n" : " rounds: CHANGED\n");
    /* The log server prints it, then powers off ("flushed"). */
    moat_event_send(t_event("flush", MOAT_RES_EVENT_SEND));
    for (;;) {
        moat_yield();
    }
}

int main(void)
{
    sse();
    return 0;
}
