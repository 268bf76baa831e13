/*
 * Fixed physical and virtual layout shared by the kernel, moat-polc and the SDK.
 *
 * The kernel owns physical memory below MOAT_KERNEL_PHYS_END; moat-polc places every
 * policy region at or above it. The entry trampoline (supervisor-only text and data the
 * CPU needs while a subject runs: entry stubs, GDT, IDT, TSS, per-CPU entry stacks) sits
 * at fixed physical addresses inside the kernel's range and at the same fixed virtual
 * address in the kernel's and in every subject's page tables.
 */
#ifndef MOAT_ABI_LAYOUT_H
#define MOAT_ABI_LAYOUT_H

/* Usable from C, assembly and the preprocessed linker script. */
#ifdef __ASSEMBLER__
#define MOAT_U64(x) x
#else
#define MOAT_U64(x) x##ULL
#endif

#define MOAT_PAGE_SIZE MOAT_U64(0x1000)

/* Kernel image: loaded at 1 MiB; [0, MOAT_KERNEL_PHYS_END) is never given to subjects. */
#define MOAT_KERNEL_PHYS_BASE MOAT_U64(0x00100000)
#define MOAT_KERNEL_PHYS_END  MOAT_U64(0x01000000)

/*
 * Entry trampoline: text (RX) then data (RW, NX), both supervisor-only, mapped with
 * 4 KiB pages. The kernel ELF carries them as two PT_LOAD segments whose p_paddr is
 * the physical address below (p_vaddr is the virtual one); an image packer copies every
 * PT_LOAD by p_paddr and keeps the PT_NOTE (PVH entry) with its 4-byte p_align.
 */
#define MOAT_TRAMPOLINE_TEXT_PHYS MOAT_U64(0x00200000)
#define MOAT_TRAMPOLINE_TEXT_SIZE MOAT_U64(0x00004000)
#define MOAT_TRAMPOLINE_DATA_PHYS MOAT_U64(0x00204000)
#define MOAT_TRAMPOLINE_VIRT      MOAT_U64(0xffffff8000000000)
#define MOAT_TRAMPOLINE_DATA_VIRT (MOAT_TRAMPOLINE_VIRT + MOAT_TRAMPOLINE_TEXT_SIZE)

/*
 * Trampoline data: one slice per CPU (its entry and IST stacks, its TSS and I/O bitmap),
 * then one part every CPU shares (IDT, GDT, the kernel's CR3; nothing secret). A subject's
 * page tables map only the slice of its own CPU and the shared part, so no subject can
 * reach (even speculatively) another CPU's entry stack. Slice n starts at
 * MOAT_TRAMPOLINE_DATA_* + n * MOAT_TRAMPOLINE_CPU_STRIDE, 16 KiB-aligned virtually.
 */
#define MOAT_TRAMPOLINE_CPUS          8
#define MOAT_TRAMPOLINE_CPU_STRIDE    MOAT_U64(0x00008000)
#define MOAT_TRAMPOLINE_SHARED_OFFSET (MOAT_TRAMPOLINE_CPUS * MOAT_TRAMPOLINE_CPU_STRIDE)
#define MOAT_TRAMPOLINE_SHARED_SIZE   MOAT_U64(0x00002000)
#define MOAT_TRAMPOLINE_DATA_SIZE     (MOAT_TRAMPOLINE_SHARED_OFFSET + MOAT_TRAMPOLINE_SHARED_SIZE)

/*
 * The tables blob (tables.h): the prebuilt kernel ELF carries a PT_LOAD segment at this
 * physical address with p_memsz MOAT_TABLES_CAPACITY and no file bytes; moat-polc fills
 * it with the system's blob. The kernel maps it read-only; its own image ends below it.
 */
#define MOAT_TABLES_PHYS     MOAT_U64(0x00400000)
#define MOAT_TABLES_CAPACITY MOAT_U64(0x00c00000)

/*
 * ELF notes (name "Moat", 4-byte aligned descriptors of 32-bit words, little-endian):
 *  - MOAT_NOTE_KERNEL in the prebuilt kernel: { version, tables layout hash (low, high) }
 *    so that moat-polc refuses a kernel built for another tables format;
 *  - MOAT_NOTE_SYSTEM in a system image, written by moat-polc, for whoever boots it
 *    (moat-run): { version, cpu count, memory end in MiB (every policy region below it) };
 *  - MOAT_NOTE_DEVICE_CHANNEL in a system image, one per channel with memory="device"
 *    (not RAM: moat-run --share backs it with a host file): { version, 0, paddr (low,
 *    high), size (low, high), element size (low, high), protocol (low, high), the name
 *    NUL-padded to MOAT_NOTE_NAME_BYTES }. The kernel never reads it.
 */
#define MOAT_NOTE_NAME           "Moat"
#define MOAT_NOTE_KERNEL         1
#define MOAT_NOTE_SYSTEM         2
#define MOAT_NOTE_DEVICE_CHANNEL 3
#define MOAT_NOTE_VERSION        1
#define MOAT_NOTE_NAME_BYTES     64

/* The kernel identity-maps physical [0, 4 GiB) only (paging.c): every policy region must
 * end at or below this, whatever the platform's memory (moat-polc refuses the rest; the
 * kernel would refuse it at boot, "beyond the physical memory this kernel maps"). */
#define MOAT_KERNEL_MAPPED_END MOAT_U64(0x100000000)

/* Where policy regions without a pinned physical address are placed (first fit, upward). */
#define MOAT_ALLOC_PHYS_BASE MOAT_KERNEL_PHYS_END

/* Subject virtual layout defaults (a policy may pin vaddr for memories and channels). */
#define MOAT_USER_VIRT_END      MOAT_U64(0x0000800000000000) /* end of the canonical lower half */
/* Nothing may be mapped on the last page below MOAT_USER_VIRT_END: an instruction that ends
 * there leaves RIP non-canonical (0x800000000000), and iretq to it faults in ring 0. */
#define MOAT_USER_MAP_END       (MOAT_USER_VIRT_END - MOAT_PAGE_SIZE)
#define MOAT_SINFO_VIRT         MOAT_U64(0x00007fffffff0000) /* read-only subject info page(s) */
#define MOAT_SINFO_SIZE         MOAT_U64(0x0000000000004000)
#define MOAT_STACK_TOP          MOAT_U64(0x00007fffffe00000) /* stack grows down from here */
#define MOAT_STACK_DEFAULT_SIZE MOAT_U64(0x0000000000010000)
#define MOAT_RESOURCE_VIRT_BASE MOAT_U64(0x0000000100000000) /* auto vaddrs for memories/channels */

#endif /* MOAT_ABI_LAYOUT_H */
