/*
 * Layout of the entry trampoline data (shared by tramp.S and the C code that sets it up)
 * and of the register frame the entry stubs build on the per-CPU entry stack. The
 * trampoline is mapped at the same virtual address in the kernel's and every subject's
 * page tables, supervisor-only; nothing else of the kernel is mapped while a subject runs.
 */
#ifndef MOAT_X86_TRAMP_H
#define MOAT_X86_TRAMP_H

#include <moat/abi/layout.h>

/* Segment selectors (GDT built in cpu.c; the order is fixed by SYSCALL/SYSRET). */
#define SEL_KERNEL_CS 0x08
#define SEL_KERNEL_DS 0x10
#define SEL_USER_DS   0x1b /* 0x18 | RPL 3 */
#define SEL_USER_CS   0x23 /* 0x20 | RPL 3 */
#define SEL_TSS       0x28 /* + 16 * cpu */

/* Vectors. */
#define VEC_TIMER    0x30
#define VEC_WAKE     0x31 /* IPI: another CPU wants this one to enter the kernel */
#define VEC_IRQ_BASE 0x40 /* I/O APIC lines 0 .. 23 */
#define VEC_SPURIOUS 0xff
#define VEC_SYSCALL  0x100 /* pseudo-vector the syscall stub records */

/* One 16 KiB, 16 KiB-aligned block per CPU at the start of the trampoline data:
 * a header, the #DF stack up to DF_STACK_TOP, the entry stack up to the block's end.
 * The entry stubs find the block by masking their stack pointer. */
#define TRAMP_CPU_SIZE 0x4000
#define TC_STACK_TOP   0  /* virtual address of this CPU's entry stack top */
#define TC_USER_RSP    8  /* scratch for the syscall stub */
#define TC_KERNEL_CR3  16
#define TC_KERNEL_RSP  24
#define TC_SUBJECT_CR3 32
#define TC_DF_STACK_TOP 0x2000

/* Kernel stacks, one per CPU, KERNEL_STACK_SIZE-aligned (boot.S): the boot CPU starts
 * on the first; a CPU finds its index from its stack pointer (arch_cpu_id). */
#define KERNEL_STACK_SIZE 0x4000
#define KERNEL_STACK_CPUS 8

/* Real-mode start page of application processors (below 1 MiB; SIPI vector 0x08). */
#define AP_TRAMP_PHYS 0x8000

/* Register frame (struct trap_frame below), in 8-byte slots from the stack pointer. */
#define FRAME_SIZE (22 * 8)
#define FRAME_CS   (18 * 8)

#ifndef __ASSEMBLER__
#include <stdint.h>

#include <moat/abi/tables.h>

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* as pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == FRAME_SIZE, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, cs) == FRAME_CS, "frame layout");

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
    uint8_t iomap[MOAT_IO_BITMAP_SIZE + 1]; /* a final 0xff byte, as the CPU requires */
} __attribute__((packed));

struct tramp_cpu {
    uint64_t stack_top;
    uint64_t user_rsp;
    uint64_t kernel_cr3;
    uint64_t kernel_rsp;
    uint64_t subject_cr3;
    uint8_t stacks[TRAMP_CPU_SIZE - 40];
};

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

#define GDT_ENTRIES (5 + 2 * MOAT_MAX_CPUS)

struct tramp_data {
    struct tramp_cpu cpus[MOAT_MAX_CPUS];
    struct idt_gate idt[256];
    uint64_t gdt[GDT_ENTRIES];
    struct tss tss[MOAT_MAX_CPUS];
};
_Static_assert(sizeof(struct tramp_data) <= MOAT_TRAMPOLINE_DATA_SIZE, "trampoline data");
_Static_assert(sizeof(struct tramp_cpu) == TRAMP_CPU_SIZE, "per-CPU block");
_Static_assert(KERNEL_STACK_CPUS == MOAT_MAX_CPUS, "one kernel stack per CPU");
_Static_assert(__builtin_offsetof(struct tramp_cpu, subject_cr3) == TC_SUBJECT_CR3, "tc");

#define TRAMP ((struct tramp_data *)MOAT_TRAMPOLINE_DATA_VIRT)
#endif

#endif /* MOAT_X86_TRAMP_H */
