/*
 * The pure rules of kernel entry and exit, kept apart from any instruction or global so
 * that a host test (kernel/tests/test_exit.c) checks exactly the code the kernel runs:
 * whose a vector is, and what a register frame must hold before iretq to ring 3.
 */
#ifndef MOAT_X86_EXIT_H
#define MOAT_X86_EXIT_H

#include <stdbool.h>
#include <stdint.h>

#include "tramp.h"

/* RFLAGS bits. */
#define RFLAGS_CF    0x1u
#define RFLAGS_FIXED 0x2u /* reads as 1 */
#define RFLAGS_PF    0x4u
#define RFLAGS_AF    0x10u
#define RFLAGS_ZF    0x40u
#define RFLAGS_SF    0x80u
#define RFLAGS_TF    0x100u
#define RFLAGS_IF    0x200u
#define RFLAGS_DF    0x400u
#define RFLAGS_OF    0x800u
#define RFLAGS_IOPL  0x3000u
#define RFLAGS_NT    0x4000u
#define RFLAGS_RF    0x10000u
#define RFLAGS_VM    0x20000u
#define RFLAGS_AC    0x40000u
#define RFLAGS_VIF   0x80000u
#define RFLAGS_VIP   0x100000u
#define RFLAGS_ID    0x200000u

/* What a subject may keep across a kernel entry: the arithmetic flags, the trap flag (it
 * single-steps itself into #DB, its own fault), the direction flag and alignment checks.
 * Never IOPL (ports without the I/O bitmap; cli), NT (iretq through a task), VM, RF, VIF,
 * VIP or ID; IF is always set. */
#define RFLAGS_USER                                                                        \
    (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_TF | RFLAGS_DF |  \
     RFLAGS_OF | RFLAGS_AC)

/* Whose an entry is, by vector. */
enum trap_kind {
    TRAP_KCALL,    /* the syscall stub */
    TRAP_FAULT,    /* a CPU exception: the running subject's fault */
    TRAP_PLATFORM, /* NMI, machine check: the platform's, the kernel panics */
    TRAP_TIMER,    /* the LAPIC timer or a wake-up IPI */
    TRAP_IRQ,      /* an I/O APIC line */
    TRAP_SPURIOUS, /* anything else: acknowledged by nobody, ignored */
};

/* Inline: every kernel entry and exit runs them. */
static inline enum trap_kind exit_trap_kind(uint64_t vector)
{
    if (vector == VEC_SYSCALL) {
        return TRAP_KCALL;
    }
    if (vector == VEC_NMI || vector == VEC_MC) {
        return TRAP_PLATFORM;
    }
    if (vector < VEC_EXCEPTIONS) {
        return TRAP_FAULT;
    }
    if (vector == VEC_TIMER || vector == VEC_WAKE) {
        return TRAP_TIMER;
    }
    if (vector >= VEC_IRQ_BASE && vector < VEC_IRQ_BASE + MOAT_MAX_IRQS) {
        return TRAP_IRQ;
    }
    return TRAP_SPURIOUS;
}

/* Makes *f fit to return to ring 3: user CS and SS, RFLAGS reduced to RFLAGS_USER | IF.
 * Returns false if RIP is not below MOAT_USER_VIRT_END (not a canonical user address:
 * iretq would fault in ring 0); the caller must not return to such a frame. RSP is left
 * as it is: a bad stack pointer faults in ring 3, as the subject's own fault. */
static inline bool exit_frame_sanitise(struct trap_frame *f)
{
    f->cs = SEL_USER_CS;
    f->ss = SEL_USER_DS;
    f->rflags = (f->rflags & RFLAGS_USER) | RFLAGS_IF | RFLAGS_FIXED;
    return f->rip < MOAT_USER_VIRT_END;
}

/* CPUID and MSR bits the speculation choice reads. */
#define CPUID7_EBX_RTM          (1u << 11)
#define CPUID7_EDX_MD_CLEAR     (1u << 10)
#define CPUID7_EDX_IBRS_IBPB    (1u << 26) /* Intel: IA32_PRED_CMD exists */
#define CPUID7_EDX_L1D_FLUSH    (1u << 28)
#define CPUID7_EDX_ARCH_CAPS    (1u << 29)
#define CPUID80000008_EBX_IBPB  (1u << 12) /* AMD: IA32_PRED_CMD exists */
#define ARCH_CAPS_RDCL_NO       (1ull << 0)
#define ARCH_CAPS_MDS_NO        (1ull << 5)
#define ARCH_CAPS_TAA_NO        (1ull << 8)

/* What the boot CPU reports. */
struct spec_cpu {
    bool intel;
    uint32_t cpuid7_ebx, cpuid7_edx; /* leaf 7, subleaf 0 (0 where the leaf is missing) */
    uint32_t ext8_ebx;               /* leaf 0x80000008 (0 where missing) */
    uint64_t arch_caps;              /* 0 unless CPUID7_EDX_ARCH_CAPS */
};

/* What the kernel does about it, each with the reason the boot banner prints. */
struct spec_policy {
    bool verw;      /* VERW before every return to ring 3: MDS/TAA buffers cleared */
    bool ibpb;      /* on a subject change: indirect branch predictions dropped */
    bool rsb_fill;  /* on a subject change: return stack buffer overwritten */
    bool l1d_flush; /* on a subject change: L1 data cache written back and cleared */
    const char *verw_why, *ibpb_why, *l1d_why;
};

struct spec_policy exit_spec_choose(const struct spec_cpu *cpu);

#endif /* MOAT_X86_EXIT_H */
