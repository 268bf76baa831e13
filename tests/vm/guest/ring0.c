/*
 * ring0: what a compromised guest kernel tries inside a Moat VM (tests/vm vm-contain,
 * docs/vm.md). moat-vm-probe boots it with kexec, so it runs in the guest's ring 0 (no
 * module, no patched kernel). It prints each probe and the exception it got on the
 * VM's UART, then ends in a triple fault (the shutdown intercept: the VM's fault action).
 *  - VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT, INVLPGA: #UD (the kernel intercepts them)
 *  - RDMSR/WRMSR of MSRs that would reach or leak the host (VM_HSAVE_PA, VM_CR, SYSCFG,
 *    HWCR, the TSC, APIC_BASE): #GP, not their host values
 *  - clearing EFER.SVME, which VMRUN needs: the VM must go on running
 *  - port writes that would end the test machine (0xf4, 0xcf9, 0x64, 0x92): ignored
 */
#include <stdint.h>

uint64_t ring0_vector;
uint64_t ring0_resume;
extern const char ring0_stubs[];
void ring0_main(void);
void ring0_unexpected(uint64_t vector, uint64_t rip);

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void putc_uart(char c)
{
    while ((inb(0x3fd) & 0x20u) == 0u) {
    }
    outb(0x3f8, (uint8_t)c);
}

static void puts_uart(const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '\n') {
            putc_uart('\r');
        }
        putc_uart(*s);
    }
}

static void puthex(uint64_t v)
{
    puts_uart("0x");
    int shift = 60;
    while (shift > 0 && ((v >> shift) & 0xfu) == 0u) {
        shift -= 4;
    }
    for (; shift >= 0; shift -= 4) {
        putc_uart("0123456789abcdef"[(v >> shift) & 0xfu]);
    }
}

static const char *vector_name(uint64_t v)
{
    switch (v) {
    case 6:
        return "#UD";
    case 13:
        return "#GP";
    case 14:
        return "#PF";
    case ~0ull:
        return "no fault";
    default:
        return "another exception";
    }
}

void ring0_unexpected(uint64_t vector, uint64_t rip)
{
    puts_uart("ring0: unexpected exception ");
    puthex(vector);
    puts_uart(" at ");
    puthex(rip);
    puts_uart("\n");
}

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};

static struct idt_gate idt[32];

static void idt_load(void)
{
    for (unsigned i = 0; i < 32u; i++) {
        uint64_t a = (uint64_t)(uintptr_t)(ring0_stubs + 16u * i);
        idt[i] = (struct idt_gate){(uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16),
                                   (uint32_t)(a >> 32), 0};
    }
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr = {sizeof(idt) - 1u, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

/* Runs `insn` with eax, ecx, edx set; resumes after it on an exception. */
#define PROBE(name, insn, a, c, d)                                                           \
    do {                                                                                     \
        uint32_t ra = (a), rc = (c), rd = (d);                                              \
        ring0_vector = ~0ull;                                                                \
        __asm__ volatile("lea 1f(%%rip), %%r8\n\t"                                           \
                         "mov %%r8, ring0_resume(%%rip)\n\t" insn "\n"                       \
                         "1:\n\t"                                                            \
                         "movq $0, ring0_resume(%%rip)"                                      \
                         : "+a"(ra), "+c"(rc), "+d"(rd)                                      \
                         :                                                                   \
                         : "r8", "memory", "cc");                                            \
        last_eax = ra;                                                                       \
        last_edx = rd;                                                                       \
        report(name);                                                                        \
    } while (0)

static uint32_t last_eax, last_edx;

static void report(const char *name)
{
    puts_uart("ring0: ");
    puts_uart(name);
    puts_uart(" -> ");
    puts_uart(vector_name(ring0_vector));
    if (ring0_vector == ~0ull) {
        puts_uart(" edx:eax ");
        puthex(((uint64_t)last_edx << 32) | last_eax);
    }
    puts_uart("\n");
}

void ring0_main(void)
{
    idt_load();
    puts_uart("ring0: running in the guest's ring 0\n");
    PROBE("vmrun", "vmrun", 0, 0, 0);
    PROBE("vmload", "vmload", 0, 0, 0);
    PROBE("vmsave", "vmsave", 0, 0, 0);
    PROBE("stgi", "stgi", 0, 0, 0);
    PROBE("clgi", "clgi", 0, 0, 0);
    PROBE("skinit", "skinit", 0, 0, 0);
    PROBE("invlpga", "invlpga", 0, 0, 0);
    PROBE("rdmsr VM_HSAVE_PA", "rdmsr", 0, 0xc0010117u, 0);
    PROBE("wrmsr VM_HSAVE_PA", "wrmsr", 0x1000, 0xc0010117u, 0);
    PROBE("rdmsr VM_CR", "rdmsr", 0, 0xc0010114u, 0);
    PROBE("wrmsr VM_CR", "wrmsr", 0x10, 0xc0010114u, 0);
    PROBE("wrmsr SYSCFG", "wrmsr", 0, 0xc0010010u, 0);
    PROBE("wrmsr HWCR", "wrmsr", 0, 0xc0010015u, 0);
    PROBE("wrmsr TSC", "wrmsr", 0, 0x10u, 0);
    PROBE("wrmsr APIC_BASE", "wrmsr", 0xfed00000u, 0x1bu, 0);
    /* EFER without SVME: VMRUN refuses a guest whose EFER.SVME is clear. */
    PROBE("rdmsr EFER", "rdmsr", 0, 0xc0000080u, 0);
    uint32_t efer_lo = last_eax, efer_hi = last_edx;
    PROBE("wrmsr EFER without SVME", "wrmsr", efer_lo & ~0x1000u, 0xc0000080u, efer_hi);
    PROBE("rdmsr EFER again", "rdmsr", 0, 0xc0000080u, 0);
    outb(0xf4, 0x42);
    outb(0xcf9, 0x06);
    outb(0x64, 0xfe);
    outb(0x92, 0x01);
    puts_uart("ring0: writes to 0xf4 0xcf9 0x64 0x92 done, still running\n");
    puts_uart("ring0: triple fault next\n");
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } none = {0, 0};
    __asm__ volatile("lidt %0\n\tint3" : : "m"(none));
}
