/*
 * Private header of the x86-64 arch: instruction wrappers (the only inline assembly
 * in the kernel), MSR and register bit names, and the arch's internal interfaces.
 */
#ifndef MOAT_X86_H
#define MOAT_X86_H

#include <stdbool.h>
#include <stdint.h>

#include "../../core/core.h"
#include "exit.h"
#include "tramp.h"

#define MSR_APIC_BASE      0x1bu
#define MSR_PRED_CMD       0x49u  /* bit 0: IBPB */
#define MSR_ARCH_CAPS      0x10au /* IA32_ARCH_CAPABILITIES */
#define MSR_FLUSH_CMD      0x10bu /* bit 0: L1D_FLUSH */
#define MSR_TSC_DEADLINE   0x6e0u
#define MSR_EFER           0xc0000080u
#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_FMASK          0xc0000084u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

#define EFER_SCE (1u << 0)
#define EFER_NXE (1u << 11)

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)

#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP       (1u << 11)
#define CR4_PCIDE      (1u << 17)
#define CR4_OSXSAVE    (1u << 18)
#define CR4_SMEP       (1u << 20)
#define CR4_SMAP       (1u << 21)

#define PRED_CMD_IBPB  1u
#define FLUSH_CMD_L1D  1u
#define DR6_INIT       0xffff0ff0u /* DR6 with no condition recorded */
#define DR7_INIT       0x400u      /* every breakpoint disabled */

/* With CR4.PCIDE: CR3 bits 11:0 name the address space, bit 63 keeps its TLB entries. */
#define CR3_NOFLUSH (1ull << 63)
/* Subject n is PCID n + 1 (entry.c), PCID 0 the kernel's: every one must fit the 12 bits. */
_Static_assert(MOAT_MAX_SUBJECTS <= 0xfffu, "a subject's PCID would spill into CR3's address");

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#define DEFINE_CR(n)                                                                       \
    static inline uint64_t read_cr##n(void)                                                \
    {                                                                                      \
        uint64_t v;                                                                        \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                  \
        return v;                                                                          \
    }                                                                                      \
    static inline void write_cr##n(uint64_t v)                                             \
    {                                                                                      \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                         \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

/* Debug registers (write only: the kernel clears them on every CPU at boot, cpu_init). */
#define DEFINE_DR(n)                                                                       \
    static inline void write_dr##n(uint64_t v)                                             \
    {                                                                                      \
        __asm__ volatile("mov %0, %%dr" #n : : "r"(v));                                    \
    }
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
DEFINE_DR(7)

/* CPU features found at boot (cpu.c). */
struct cpu_features {
    bool nx, smep, smap, umip, xsave, tsc_deadline, pcid, invariant_tsc;
    uint32_t xsave_size;
    uint64_t xcr0;
};
extern struct cpu_features cpu_features;
/* The speculation mitigations chosen at boot from CPUID and IA32_ARCH_CAPABILITIES. */
extern struct spec_policy spec_policy;

/* serial.c */
void serial_init(void);

/* bootinfo.c: copies the firmware memory map; false if the boot protocol is unknown. */
bool bootinfo_parse(uint32_t magic, uint64_t info);
const char *bootinfo_protocol(void);
uint32_t bootinfo_ram_entries(void);
paddr_t bootinfo_rsdp(void); /* 0: the loader did not say */

/* paging.c: the kernel's own page tables; returns the CR3 value. */
uint64_t paging_init(void);

/* cpu.c */
void cpu_detect(void);
void cpu_init(uint32_t cpu, uint64_t cr3, uint64_t kernel_rsp);
void cpu_xsave(uint8_t *area);
void cpu_xrstor(const uint8_t *area);
void cpu_spec_print(void);
/* On a change of the subject a CPU runs: IBPB, RSB fill, L1D flush as spec_policy says. */
void cpu_spec_switch(void);

/* apic.c */
void apic_init(void);
void apic_eoi(void);
void apic_timer_arm(tsc_t deadline);
void apic_init_ap(void);
uint32_t apic_id(void);
void apic_send_ipi(uint32_t apic, uint32_t command);
void ioapic_init(void);
void ioapic_mask(uint8_t line);

/* entry.c: per-subject extended state areas of this size (XSAVE or FXSAVE). */
#define XSAVE_AREA 4096u
/* entry.c */
_Noreturn void arch_run(struct core_next next);
void arch_kernel_trap(struct trap_frame *f);
_Noreturn void arch_trap_entry(struct trap_frame *f);
_Noreturn void arch_exit_fault(struct trap_frame *f);

/* tramp.S */
_Noreturn void arch_enter_subject(struct trap_frame *frame);
void cpu_rsb_fill(void);
void cpu_x87_pointers_clear(void);
extern const uint64_t tramp_addresses[2]; /* vectors, syscall entry */

/* mp.c */
extern uint64_t kernel_cr3;
void mp_detect(void);
uint32_t mp_apic_id(uint32_t cpu); /* CPU index -> local APIC id (after mp_detect) */
void mp_start_cpus(void);
_Noreturn void mp_run(void);
void arch_ap_main(void);

/* boot.S */
extern uint8_t kernel_stacks[KERNEL_STACK_CPUS][KERNEL_STACK_SIZE];
extern uint64_t ap_stack_top;
extern const uint8_t ap_tramp_start[], ap_tramp_end[];

#endif /* MOAT_X86_H */
