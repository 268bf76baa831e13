/*
 * Fault zoo (test subject): one image, many subjects; each does the one forbidden
 * thing its name says. Every attempt must be contained by the kernel and audited.
 */
#include <moat/abi/layout.h>

#include "testlib.h"

static void zoo_fault(const char *n)
{
    if (t_streq(n, "zoo_de")) {
        __asm__ volatile("xor %%ecx, %%ecx\n\tmov $1, %%eax\n\txor %%edx, %%edx\n\tdiv %%ecx" ::: "rax", "rcx", "rdx");
    } else if (t_streq(n, "zoo_ud")) {
        __asm__ volatile("ud2");
    } else if (t_streq(n, "zoo_bp")) {
        __asm__ volatile("int3");
    } else if (t_streq(n, "zoo_cli")) {
        __asm__ volatile("cli");
    } else if (t_streq(n, "zoo_hlt")) {
        __asm__ volatile("hlt");
    } else if (t_streq(n, "zoo_wrmsr")) {
        __asm__ volatile("wrmsr" : : "c"(0x10u), "a"(0u), "d"(0u));
    } else if (t_streq(n, "zoo_cr3")) {
        __asm__ volatile("mov %0, %%cr3" : : "r"(0ull));
    } else if (t_streq(n, "zoo_lgdt")) {
        static uint8_t gdtr[10];
        __asm__ volatile("lgdt %0" : : "m"(gdtr));
    } else if (t_streq(n, "zoo_out")) {
        t_outb(0x80, 1);
    } else if (t_streq(n, "zoo_in")) {
        (void)t_inb(0x60);
    } else if (t_streq(n, "zoo_null")) {
        (void)*(volatile uint64_t *)(uintptr_t)8u;
    } else if (t_streq(n, "zoo_kernel_read")) {
        (void)*(volatile uint64_t *)(uintptr_t)MOAT_KERNEL_PHYS_BASE;
    } else if (t_streq(n, "zoo_tramp_read")) {
        (void)*(volatile uint64_t *)(uintptr_t)MOAT_TRAMPOLINE_DATA_VIRT;
    } else if (t_streq(n, "zoo_other_read")) {
        (void)*(volatile uint64_t *)(uintptr_t)0x200000000ull; /* the witness's memory */
    } else if (t_streq(n, "zoo_kernel_jump")) {
        __asm__ volatile("jmp *%0" : : "r"(MOAT_TRAMPOLINE_VIRT));
    } else if (t_streq(n, "zoo_ro_write")) {
        const struct moat_sinfo_resource *r = t_resource("ro", MOAT_RES_CHANNEL);
        if (r != 0) {
            *(volatile uint64_t *)(uintptr_t)r->address = 1;
        }
    } else if (t_streq(n, "zoo_mf")) {
        uint16_t cw = 0x037b; /* divide-by-zero unmasked */
        __asm__ volatile("fninit\n\tfldcw %0\n\tfld1\n\tfldz\n\tfdivrp\n\tfwait" : : "m"(cw));
    } else if (t_streq(n, "zoo_xm")) {
        uint32_t mxcsr = 0x1d00; /* invalid and divide-by-zero unmasked */
        __asm__ volatile("ldmxcsr %0\n\tmov $1, %%eax\n\tcvtsi2ss %%eax, %%xmm0\n\t"
                         "xorps %%xmm1, %%xmm1\n\tdivss %%xmm1, %%xmm0"
                         : : "m"(mxcsr) : "rax", "xmm0", "xmm1");
    } else if (t_streq(n, "zoo_tf")) {
        /* Single-steps itself: #DB (on its IST stack) after the next instruction. */
        __asm__ volatile("pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tnop" ::: "memory", "cc");
    } else if (t_streq(n, "zoo_dr7")) {
        __asm__ volatile("mov %0, %%dr7" : : "r"(0x3ffull)); /* arm DR0-3: privileged */
    } else if (t_streq(n, "zoo_ac")) {
        static uint64_t words[2];
        __asm__ volatile("pushfq\n\torq $0x40000, (%%rsp)\n\tpopfq\n\tmovl 1(%0), %%eax" : : "r"(words) : "rax", "memory");
    }
}

/*
 * "zoo_calls": kernel calls with bad numbers and ids must return errors, and timer_set
 * must wake event_wait at its deadline. Returns a bit mask of what went wrong (audited
 * as the exit status, 0 when all is well).
 */
static int zoo_calls(void)
{
    int bad = 0;
    bad |= moat_kcall(99, 0, 0) != MOAT_ERR_NO_CALL ? 0x1 : 0;
    bad |= moat_kcall(UINT64_MAX, 1, 2) != MOAT_ERR_NO_CALL ? 0x2 : 0;
    bad |= moat_event_send(1000) != MOAT_ERR_BAD_ID ? 0x4 : 0;
    bad |= moat_kcall(MOAT_KCALL_EVENT_SEND, MOAT_TRAMPOLINE_VIRT, 0) != MOAT_ERR_BAD_ID ? 0x8 : 0;
    bad |= moat_timer_set(moat_rdtsc(), MOAT_MAX_EVENTS) != MOAT_ERR_BAD_ID ? 0x10 : 0;
    bad |= moat_event_poll() != -1 ? 0x20 : 0;
    unsigned tick = t_event("tick", MOAT_RES_EVENT_RECV);
    uint64_t deadline = moat_rdtsc() + moat_sinfo_page->tsc_khz / 10u; /* 100 us */
    bad |= moat_timer_set(deadline, tick) != 0 ? 0x40 : 0;
    bad |= moat_event_wait() != (int)tick ? 0x80 : 0;
    bad |= moat_rdtsc() < deadline ? 0x100 : 0;
    bad |= moat_timer_set(0, tick) != 0 ? 0x200 : 0;
    return bad;
}

int main(void)
{
    if (t_streq(moat_sinfo_page->subject_name, "zoo_calls")) {
        return zoo_calls();
    }
    zoo_fault(moat_sinfo_page->subject_name);
    /* zoo_exit, and any subject whose fault was not raised, returns: audited as exit. */
    return 7;
}
