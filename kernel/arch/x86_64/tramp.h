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

/* Vectors. 0-31 are the CPU's exceptions. */
#define VEC_DE       0
#define VEC_DB       1
#define VEC_NMI      2
#define VEC_BP       3
#define VEC_OF       4
#define VEC_DF       8
#define VEC_NP       11
#define VEC_SS       12
#define VEC_GP       13
#define VEC_PF       14
#define VEC_MC       18
#define VEC_EXCEPTIONS 32
#define VEC_TIMER    0x30
#define VEC_WAKE     0x31 /* IPI: another CPU wants this one to enter the kernel */
#define VEC_IRQ_BASE 0x40 /* I/O APIC lines 0 .. 23 */
#define VEC_SPURIOUS 0xff
#define VEC_SYSCALL  0x100 /* pseudo-vector the syscall stub records */

/*
 * Trampoline data (MOAT_TRAMPOLINE_DATA_VIRT, layout.h): one 32 KiB slice per CPU, then a
 * part every CPU shares. A subject's page tables map only its own CPU's slice and the
 * shared part, so nothing of another CPU's entry can be reached even speculatively.
 *
 * Slice of CPU n (MOAT_TRAMPOLINE_DATA_VIRT + n * MOAT_TRAMPOLINE_CPU_STRIDE):
 *   0x0000  struct tramp_cpu, 16 KiB and 16 KiB-aligned: a header, the IST stacks of #DF,
 *           NMI, #MC and #DB, then the entry stack up to 0x4000. Every stack a trap from
 *           ring 3 lands on is in this block, so the entry stubs find the header by
 *           masking their stack pointer.
 *   0x4000  the TSS and its I/O bitmap (struct tss), then unused to 0x8000.
 * Shared part (MOAT_TRAMPOLINE_SHARED_OFFSET, struct tramp_shared): the kernel's CR3,
 * the speculation flags the exit path tests, the GDT and the IDT. Nothing in it is
 * secret or written after boot.
 */
#define TRAMP_CPU_SIZE  0x4000
#define TC_STACK_TOP    0  /* virtual address of this CPU's entry stack top */
#define TC_USER_RSP     8  /* scratch for the syscall stub, cleared once pushed */
#define TC_KERNEL_RSP   16
#define TC_SUBJECT_CR3  24
#define TC_HEADER_SIZE  0x40
#define TC_IST_SIZE     0xc00
/* IST stack tops (offsets in the block); TSS ist[n - 1] holds IST n. */
#define TC_IST_DF_TOP   (TC_HEADER_SIZE + 1 * TC_IST_SIZE)
#define TC_IST_NMI_TOP  (TC_HEADER_SIZE + 2 * TC_IST_SIZE)
#define TC_IST_MC_TOP   (TC_HEADER_SIZE + 3 * TC_IST_SIZE)
#define TC_IST_DB_TOP   (TC_HEADER_SIZE + 4 * TC_IST_SIZE)
#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3
#define IST_DB  4
#define TRAMP_TSS_OFFSET 0x4000 /* in the slice */

/* The shared part. tramp_shared is its virtual address (kernel.ld.S). */
#define TS_KERNEL_CR3 0
#define TS_SPEC       8 /* SPEC_* flags */
#define SPEC_VERW     0x1 /* VERW before every iretq to ring 3 (MDS, TAA) */

/* Kernel stacks, one per CPU, KERNEL_STACK_SIZE-aligned (boot.S): the boot CPU starts
 * on the first; a CPU finds its index from its stack pointer (arch_cpu_id). */
#define KERNEL_STACK_SIZE 0x4000
#define KERNEL_STACK_CPUS 8

/* Real-mode start page of application processors (below 1 MiB; SIPI vector 0x08). */
#define AP_TRAMP_PHYS 0x8000

/* Register frame (struct trap_frame below), in 8-byte slots from the stack pointer. */
#define FRAME_SIZE (22 * 8)
#define FRAME_VECTOR (15 * 8)
#define FRAME_RIP  (17 * 8)
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
_Static_assert(__builtin_offsetof(struct trap_frame, rip) == FRAME_RIP, "frame layout");
_Static_assert(__builtin_offsetof(struct trap_frame, vector) == FRAME_VECTOR, "frame layout");

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
    uint64_t kernel_rsp;
    uint64_t subject_cr3;
    uint8_t header_rest[TC_HEADER_SIZE - 32];
    uint8_t stacks[TRAMP_CPU_SIZE - TC_HEADER_SIZE]; /* IST stacks, then the entry stack */
};

struct tramp_slice {
    struct tramp_cpu cpu;
    struct tss tss;
    uint8_t unused[MOAT_TRAMPOLINE_CPU_STRIDE - TRAMP_TSS_OFFSET - sizeof(struct tss)];
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

struct tramp_shared {
    uint64_t kernel_cr3;
    uint32_t spec;
    uint32_t reserved;
    uint64_t gdt[GDT_ENTRIES];
    struct idt_gate idt[256] __attribute__((aligned(16)));
};

struct tramp_data {
    struct tramp_slice slices[MOAT_TRAMPOLINE_CPUS];
    struct tramp_shared shared;
};
_Static_assert(sizeof(struct tramp_slice) == MOAT_TRAMPOLINE_CPU_STRIDE, "slice layout");
_Static_assert(__builtin_offsetof(struct tramp_slice, tss) == TRAMP_TSS_OFFSET, "slice layout");
_Static_assert(__builtin_offsetof(struct tramp_data, shared) == MOAT_TRAMPOLINE_SHARED_OFFSET,
               "shared part");
_Static_assert(sizeof(struct tramp_shared) <= MOAT_TRAMPOLINE_SHARED_SIZE, "shared part");
_Static_assert(sizeof(struct tramp_data) <= MOAT_TRAMPOLINE_DATA_SIZE, "trampoline data");
_Static_assert(sizeof(struct tramp_cpu) == TRAMP_CPU_SIZE, "per-CPU block");
_Static_assert(MOAT_TRAMPOLINE_DATA_VIRT % TRAMP_CPU_SIZE == 0, "per-CPU block alignment");
_Static_assert(MOAT_TRAMPOLINE_CPU_STRIDE % TRAMP_CPU_SIZE == 0, "per-CPU block alignment");
_Static_assert(TC_IST_DB_TOP + FRAME_SIZE * 4 <= TRAMP_CPU_SIZE, "entry stack room");
_Static_assert(KERNEL_STACK_CPUS == MOAT_MAX_CPUS, "one kernel stack per CPU");
_Static_assert(__builtin_offsetof(struct tramp_cpu, subject_cr3) == TC_SUBJECT_CR3, "tc");
_Static_assert(__builtin_offsetof(struct tramp_cpu, kernel_rsp) == TC_KERNEL_RSP, "tc");
_Static_assert(__builtin_offsetof(struct tramp_cpu, user_rsp) == TC_USER_RSP, "tc");
_Static_assert(__builtin_offsetof(struct tramp_shared, kernel_cr3) == TS_KERNEL_CR3, "ts");
_Static_assert(__builtin_offsetof(struct tramp_shared, spec) == TS_SPEC, "ts");

#define TRAMP ((struct tramp_data *)MOAT_TRAMPOLINE_DATA_VIRT)
#define TRAMP_CPU(n) (&TRAMP->slices[n].cpu)
#define TRAMP_TSS(n) (&TRAMP->slices[n].tss)
#endif

#endif /* MOAT_X86_TRAMP_H */
