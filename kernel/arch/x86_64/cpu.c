/*
 * Per-CPU setup: feature detection, the GDT, TSS and IDT in the trampoline data,
 * control-register protections (NX, WP, SMEP, SMAP, UMIP), debug registers, SYSCALL
 * MSRs and XSAVE; the speculation mitigations chosen from CPUID and what they run.
 */
#include "x86.h"

struct cpu_features cpu_features;
struct spec_policy spec_policy;

static void spec_detect(uint32_t max_leaf)
{
    uint32_t r[4];
    struct spec_cpu in = {0};
    cpuid(0, 0, r);
    /* "GenuineIntel" in ebx, edx, ecx. */
    in.intel = r[1] == 0x756e6547u && r[3] == 0x49656e69u && r[2] == 0x6c65746eu;
    if (max_leaf >= 7u) {
        cpuid(7, 0, r);
        in.cpuid7_ebx = r[1];
        in.cpuid7_edx = r[3];
    }
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000008u) {
        cpuid(0x80000008u, 0, r);
        in.ext8_ebx = r[1];
    }
    if ((in.cpuid7_edx & CPUID7_EDX_ARCH_CAPS) != 0u) {
        in.arch_caps = rdmsr(MSR_ARCH_CAPS);
    }
    spec_policy = exit_spec_choose(&in);
#ifdef MOAT_TEST_KERNEL
    /* Test kernels only: VERW runs on every return to ring 3 even where the CPU (QEMU
     * TCG) gives it no buffers to clear, so that its path is exercised. */
    spec_policy.verw = true;
    spec_policy.verw_why = "test kernel";
#endif
}

static void spec_print_one(const char *name, bool on, const char *why)
{
    print_str(" ");
    print_str(name);
    print_str(on ? "+" : "-");
    if (why != 0) {
        print_str(" (");
        print_str(why);
        print_str(")");
    }
}

void cpu_spec_print(void)
{
    print_str("spec:");
    spec_print_one("verw", spec_policy.verw, spec_policy.verw_why);
    spec_print_one("ibpb", spec_policy.ibpb, spec_policy.ibpb_why);
    spec_print_one("rsb", spec_policy.rsb_fill, 0);
    spec_print_one("l1d-flush", spec_policy.l1d_flush, spec_policy.l1d_why);
    print_nl();
}

void cpu_spec_switch(void)
{
    if (spec_policy.ibpb) {
        wrmsr(MSR_PRED_CMD, PRED_CMD_IBPB);
    }
    if (spec_policy.rsb_fill) {
        cpu_rsb_fill();
    }
    if (spec_policy.l1d_flush) {
        wrmsr(MSR_FLUSH_CMD, FLUSH_CMD_L1D);
    }
}

void cpu_detect(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max_leaf = r[0];
    cpuid(1, 0, r);
    cpu_features.xsave = (r[2] & (1u << 26)) != 0u;
    cpu_features.tsc_deadline = (r[2] & (1u << 24)) != 0u;
    cpu_features.pcid = (r[2] & (1u << 17)) != 0u;
    if (max_leaf >= 7u) {
        cpuid(7, 0, r);
        cpu_features.smep = (r[1] & (1u << 7)) != 0u;
        cpu_features.smap = (r[1] & (1u << 20)) != 0u;
        cpu_features.umip = (r[2] & (1u << 2)) != 0u;
    }
    spec_detect(max_leaf);
    cpuid(0x80000001u, 0, r);
    cpu_features.nx = (r[3] & (1u << 20)) != 0u;
    cpuid(0x80000000u, 0, r);
    if (r[0] >= 0x80000007u) {
        cpuid(0x80000007u, 0, r);
        cpu_features.invariant_tsc = (r[3] & (1u << 8)) != 0u;
    }
}

/* The accessed bit is set in advance: the CPU would otherwise write it into the GDT at
 * the first load of each selector, also on a subject's page tables (tramp_exit, iretq),
 * so that the shared part would have to be writable there. */
#define GDT_ACCESSED 0x1u

static uint64_t gdt_segment(uint32_t access, uint32_t flags)
{
    return 0xffffull | ((uint64_t)(access | GDT_ACCESSED) << 40) | ((uint64_t)flags << 52) |
           (0xfull << 48);
}

static void gdt_init(uint32_t cpu)
{
    uint64_t *gdt = TRAMP->shared.gdt;
    if (cpu == 0u) {
        gdt[0] = 0;
        gdt[1] = gdt_segment(0x9a, 0xa); /* kernel code, 64-bit */
        gdt[2] = gdt_segment(0x92, 0xc); /* kernel data */
        gdt[3] = gdt_segment(0xf2, 0xc); /* user data, DPL 3 */
        gdt[4] = gdt_segment(0xfa, 0xa); /* user code, 64-bit, DPL 3 */
    }

    struct tss *tss = TRAMP_TSS(cpu);
    uint64_t tc = (uint64_t)(uintptr_t)TRAMP_CPU(cpu);
    uint64_t base = (uint64_t)(uintptr_t)tss;
    uint64_t limit = sizeof(struct tss) - 1u;
    tss->rsp[0] = tc + TRAMP_CPU_SIZE;
    tss->ist[IST_DF - 1] = tc + TC_IST_DF_TOP;
    tss->ist[IST_NMI - 1] = tc + TC_IST_NMI_TOP;
    tss->ist[IST_MC - 1] = tc + TC_IST_MC_TOP;
    tss->ist[IST_DB - 1] = tc + TC_IST_DB_TOP;
    tss->iomap_base = (uint16_t)__builtin_offsetof(struct tss, iomap);
    for (uint32_t i = 0; i <= MOAT_IO_BITMAP_SIZE; i++) {
        tss->iomap[i] = 0xff; /* every port denied until a subject's bitmap is loaded */
    }
    uint32_t slot = 5u + 2u * cpu;
    gdt[slot] = (limit & 0xffffu) | ((base & 0xffffffu) << 16) | (0x89ull << 40) |
                (((limit >> 16) & 0xfu) << 48) | (((base >> 24) & 0xffu) << 56);
    gdt[slot + 1u] = base >> 32;

    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } gdtr = {sizeof(TRAMP->shared.gdt) - 1u, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "mov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(gdtr), "i"(SEL_KERNEL_CS), "r"(SEL_KERNEL_DS),
                       "r"(SEL_TSS + 16u * cpu)
                     : "rax", "memory");
}

/* Which IST stack (in the CPU's own slice) a vector runs on; 0: the current or RSP0 stack.
 * NMI, #MC and #DB can arrive at any instruction, also in the syscall stub before its
 * stack switch; #DF must not depend on the stack that failed. */
static uint8_t idt_ist(uint32_t vector)
{
    switch (vector) {
    case VEC_DF:
        return IST_DF;
    case VEC_NMI:
        return IST_NMI;
    case VEC_MC:
        return IST_MC;
    case VEC_DB:
        return IST_DB;
    default:
        return 0;
    }
}

static void idt_init(uint32_t cpu)
{
    uint64_t stubs = tramp_addresses[0];
    for (uint32_t v = 0; v < 256u && cpu == 0u; v++) {
        uint64_t addr = stubs + 16u * v;
        struct idt_gate *g = &TRAMP->shared.idt[v];
        g->offset_low = (uint16_t)addr;
        g->selector = SEL_KERNEL_CS;
        g->ist = idt_ist(v);
        /* int3 and into from a subject raise #BP/#OF; any other int n is a #GP. */
        g->type = (v == VEC_BP || v == VEC_OF) ? 0xee : 0x8e;
        g->offset_mid = (uint16_t)(addr >> 16);
        g->offset_high = (uint32_t)(addr >> 32);
        g->reserved = 0;
    }
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr = {sizeof(TRAMP->shared.idt) - 1u, (uint64_t)(uintptr_t)TRAMP->shared.idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static void xsave_init(void)
{
    if (!cpu_features.xsave) {
        cpu_features.xsave_size = 512; /* FXSAVE */
        return;
    }
    write_cr4(read_cr4() | CR4_OSXSAVE);
    uint32_t r[4];
    cpuid(0xd, 0, r);
    uint64_t xcr0 = r[0] & 0x7u; /* x87, SSE, AVX */
    __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"(0u));
    cpu_features.xcr0 = xcr0;
    cpuid(0xd, 0, r);
    cpu_features.xsave_size = r[1];
}

void cpu_xsave(uint8_t *area)
{
    if (cpu_features.xsave) {
        __asm__ volatile("xsave64 (%0)" : : "r"(area), "a"(0xffffffffu), "d"(0xffffffffu) : "memory");
    } else {
        __asm__ volatile("fxsave64 (%0)" : : "r"(area) : "memory");
    }
}

void cpu_xrstor(const uint8_t *area)
{
    if (cpu_features.xsave) {
        __asm__ volatile("xrstor64 (%0)" : : "r"(area), "a"(0xffffffffu), "d"(0xffffffffu) : "memory");
    } else {
        __asm__ volatile("fxrstor64 (%0)" : : "r"(area) : "memory");
    }
}

/* Debug registers: no breakpoint armed, no condition recorded; never given to a subject
 * (mov to or from DRn is privileged: #GP in ring 3, the subject's fault). */
static void debug_registers_clear(void)
{
    write_dr7(DR7_INIT);
    write_dr0(0);
    write_dr1(0);
    write_dr2(0);
    write_dr3(0);
    write_dr6(DR6_INIT);
}

/* The boot CPU (cpu 0) also clears the trampoline data and builds the shared GDT and
 * IDT; the others only load them and set up their own TSS and per-CPU block. */
void cpu_init(uint32_t cpu, uint64_t cr3, uint64_t kernel_rsp)
{
    uint8_t *data = (uint8_t *)TRAMP;
    for (uint64_t i = 0; i < sizeof(struct tramp_data) && cpu == 0u; i++) {
        data[i] = 0;
    }
    struct tramp_cpu *tc = TRAMP_CPU(cpu);
    tc->stack_top = (uint64_t)(uintptr_t)tc + TRAMP_CPU_SIZE;
    if (cpu == 0u) {
        /* The kernel is PCID 0 (CR3 is loaded with PCID 0 when PCIDE is turned on below);
         * page tables never change after boot, so no switch needs to flush the TLB. The
         * same value on every CPU, in the shared part: the from-kernel entry path needs it
         * before it knows which CPU it is on. */
        TRAMP->shared.kernel_cr3 = cr3 | (cpu_features.pcid ? CR3_NOFLUSH : 0u);
        TRAMP->shared.spec = spec_policy.verw ? SPEC_VERW : 0u;
    }
    tc->kernel_rsp = kernel_rsp;
    debug_registers_clear();
    gdt_init(cpu);
    idt_init(cpu);

    uint64_t cr0 = read_cr0();
    cr0 = (cr0 | CR0_MP | CR0_NE | CR0_WP | CR0_AM) & ~(uint64_t)(CR0_EM | CR0_TS);
    write_cr0(cr0);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    cr4 |= cpu_features.umip ? CR4_UMIP : 0u;
    cr4 |= cpu_features.smep ? CR4_SMEP : 0u;
    cr4 |= cpu_features.smap ? CR4_SMAP : 0u;
    cr4 |= cpu_features.pcid ? CR4_PCIDE : 0u;
    write_cr4(cr4);
    xsave_init();

    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, ((uint64_t)SEL_KERNEL_DS << 48) | ((uint64_t)SEL_KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, tramp_addresses[1]);
    wrmsr(MSR_FMASK, 0x47700u); /* TF, IF, DF, IOPL, NT, AC */
    wrmsr(MSR_GS_BASE, 0);
    wrmsr(MSR_KERNEL_GS_BASE, (uint64_t)(uintptr_t)tc);
}
