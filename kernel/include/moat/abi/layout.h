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

#define MOAT_PAGE_SIZE 0x1000ULL

/* Kernel image: loaded at 1 MiB; [0, MOAT_KERNEL_PHYS_END) is never given to subjects. */
#define MOAT_KERNEL_PHYS_BASE 0x00100000ULL
#define MOAT_KERNEL_PHYS_END  0x01000000ULL

/*
 * Entry trampoline: text (RX) then data (RW, NX), both supervisor-only, mapped with
 * 4 KiB pages. The kernel ELF carries them as two PT_LOAD segments whose p_paddr is
 * the physical address below (p_vaddr is the virtual one); an image packer copies every
 * PT_LOAD by p_paddr and keeps the PT_NOTE (PVH entry) with its 4-byte p_align.
 */
#define MOAT_TRAMPOLINE_TEXT_PHYS 0x00200000ULL
#define MOAT_TRAMPOLINE_TEXT_SIZE 0x00004000ULL
#define MOAT_TRAMPOLINE_DATA_PHYS 0x00204000ULL
#define MOAT_TRAMPOLINE_DATA_SIZE 0x00040000ULL
#define MOAT_TRAMPOLINE_VIRT      0xffffff8000000000ULL
#define MOAT_TRAMPOLINE_DATA_VIRT (MOAT_TRAMPOLINE_VIRT + MOAT_TRAMPOLINE_TEXT_SIZE)

/* Where policy regions without a pinned physical address are placed (first fit, upward). */
#define MOAT_ALLOC_PHYS_BASE MOAT_KERNEL_PHYS_END

/* Subject virtual layout defaults (a policy may pin vaddr for memories and channels). */
#define MOAT_USER_VIRT_END      0x0000800000000000ULL /* end of the canonical lower half */
#define MOAT_SINFO_VIRT         0x00007fffffff0000ULL /* read-only subject info page(s) */
#define MOAT_SINFO_SIZE         0x0000000000004000ULL
#define MOAT_STACK_TOP          0x00007fffffe00000ULL /* stack grows down from here */
#define MOAT_STACK_DEFAULT_SIZE 0x0000000000010000ULL
#define MOAT_RESOURCE_VIRT_BASE 0x0000000100000000ULL /* auto vaddrs for memories/channels */

#endif /* MOAT_ABI_LAYOUT_H */
