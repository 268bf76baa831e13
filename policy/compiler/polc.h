/*
 * moat-polc internals: the in-memory model of a system policy and the stages that turn
 * it into the kernel's tables, page tables, sinfo pages, the layout report and the
 * bootable image. Every stage reports problems through polc_error() and keeps going, so
 * one run lists every error; nothing is written when any error exists.
 */
#ifndef POLC_H
#define POLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "moat/abi/layout.h"
#include "moat/abi/tables.h"

/* ---- memory: one arena per run, freed at the end ---- */
struct polc_arena_block;
struct polc_arena {
    struct polc_arena_block *head;
};
void *polc_alloc(struct polc_arena *arena, size_t size);
char *polc_strdup(struct polc_arena *arena, const char *s);
const char *polc_sprintf(struct polc_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void polc_arena_free(struct polc_arena *arena);

/* ---- growable byte buffer ---- */
struct polc_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};
void polc_buf_append(struct polc_buf *buf, const void *data, size_t len);
void polc_buf_printf(struct polc_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void polc_buf_zero(struct polc_buf *buf, size_t len);
void polc_buf_free(struct polc_buf *buf);

/* ---- numbers: decimal or 0x hex, sizes with K/M/G, times with ns/us/ms ---- */
enum polc_num_status { POLC_NUM_OK, POLC_NUM_SYNTAX, POLC_NUM_OVERFLOW };
enum polc_num_status polc_parse_number(const char *s, uint64_t *out);
enum polc_num_status polc_parse_size(const char *s, uint64_t *out);
enum polc_num_status polc_parse_time_ns(const char *s, uint64_t *out);
void polc_format_size(char *out, size_t out_size, uint64_t size);
bool polc_add_overflows(uint64_t a, uint64_t b, uint64_t *sum);
struct polc_ctx;
const char *polc_hint(struct polc_ctx *ctx, const char *name, const char *const *candidates,
                      size_t count);

/* ---- a name index: open addressing over strings, first insertion wins ---- */
struct polc_names;
struct polc_names *polc_names_new(struct polc_arena *arena, size_t capacity);
/* The value stored under name, or -1; polc_names_put stores only a new name and returns
 * the value the name already had, or -1 when it was new. */
long polc_names_get(const struct polc_names *names, const char *name);
long polc_names_put(struct polc_names *names, const char *name, long value);

/* ---- access rights of a mapping ---- */
#define POLC_LARGE_PAGE 0x200000ULL

#define POLC_R 0x1u
#define POLC_W 0x2u
#define POLC_X 0x4u

/* ---- physical regions ---- */
enum polc_region_kind {
    POLC_REG_SEGMENT,   /* a subject ELF segment, loaded from the image */
    POLC_REG_PRISTINE,  /* read-only initial copy of a writable segment (restart) */
    POLC_REG_PAGETABLE, /* a subject's page-table pages */
    POLC_REG_SINFO,     /* a subject's info page(s) */
    POLC_REG_STACK,
    POLC_REG_MEMORY,
    POLC_REG_CHANNEL,
    POLC_REG_AUDIT,
    POLC_REG_STATE, /* the kernel's per-subject state slots */
    POLC_REG_GUEST_RAM, /* a VM's guest RAM, guest-physical 0 .. its size */
    POLC_REG_VMCB,      /* a VM's control block page, the kernel's alone */
};

struct polc_region {
    enum polc_region_kind kind;
    const char *owner; /* subject or channel name; "system" for the audit region */
    const char *name;  /* what it is, e.g. "segment 1", memory name */
    long line;
    uint64_t size;
    paddr_t phys;
    bool pinned;       /* phys fixed by the policy */
    bool large;        /* placed on a 2 MiB boundary so it can be mapped with 2 MiB pages */
    bool allocated;    /* phys known (pinned or placed) */
    const uint8_t *data; /* initial content, data_size bytes (rest is zero) */
    uint64_t data_size;
    size_t index;        /* allocation order */
};

/* ---- one virtual mapping in a subject's address space ---- */
struct polc_mapping {
    const char *what; /* for messages and the report: "memory 'buf'", "stack", ... */
    long line;
    vaddr_t virt;
    uint64_t size;
    unsigned perm;    /* POLC_R/W/X */
    bool user;        /* false: supervisor-only (the entry trampoline) */
    struct polc_region *region; /* backing region, or NULL for a fixed phys (trampoline) */
    paddr_t fixed_phys;
};

/* ---- a subject's ELF image ---- */
struct polc_segment {
    vaddr_t vaddr;     /* page-rounded start */
    uint64_t size;     /* page-rounded size */
    uint64_t offset_in_page; /* where file data starts inside the first page */
    const uint8_t *file_data;
    uint64_t file_size;
    unsigned perm;
    struct polc_region *region;
    struct polc_region *pristine; /* writable segments only */
};

struct polc_image {
    const char *path; /* resolved */
    uint8_t *bytes;
    size_t byte_count;
    vaddr_t entry;
    struct polc_segment *segments;
    size_t segment_count;
};

/* ---- the policy model ---- */
struct polc_memory {
    const char *name;
    long line;
    uint64_t size;
    vaddr_t vaddr;
    bool has_vaddr;
    paddr_t paddr;
    bool has_paddr;
    unsigned perm;
    struct polc_region *region;
    vaddr_t virt; /* where the subject sees it (layout) */
};

/* An <ioport>, or a <platform-device>: ports that control the whole machine, granted
 * on purpose (see ports.c). */
struct polc_ioport {
    const char *name;
    long line;
    uint64_t base;
    uint64_t count;
    bool platform;      /* from <platform-device> */
    const char *reason; /* platform only: why the policy grants it */
};

struct polc_irq {
    const char *name;
    long line;
    uint64_t irq_line;
    unsigned event_id; /* incoming */
};

struct polc_timer {
    const char *name;
    long line;
    unsigned event_id; /* incoming */
};

struct polc_channel;
struct polc_endpoint;
struct polc_event;

/* How a VM boots: a Linux bzImage (32-bit boot protocol), or a flat binary (tests). */
enum polc_vm_boot { POLC_VM_BOOT_NONE, POLC_VM_BOOT_LINUX, POLC_VM_BOOT_IMAGE };

/* What moat-polc read out of a bzImage's setup header (vm_linux.c). */
struct polc_bzimage {
    uint16_t version;      /* boot protocol, e.g. 0x020f */
    uint64_t setup_size;   /* bytes before the protected-mode kernel */
    uint64_t header_end;   /* end of the setup header in the file (copied into the zero page) */
    uint64_t pref_address; /* where a relocatable kernel prefers to run */
    uint64_t init_size;    /* bytes it needs from its load address while it starts */
    uint64_t alignment;    /* kernel_alignment */
    uint64_t initrd_max;   /* highest address an initrd may end at, inclusive */
    uint64_t cmdline_max;  /* longest command line, without the NUL */
    bool relocatable;
};

/* A <vm>: a subject that is a hardware virtual machine (vm_check.c, vm_layout.c, vm_boot.c). */
struct polc_vm {
    long line;
    uint64_t ram_size;  /* guest RAM, guest-physical [0, ram_size) */
    paddr_t paddr;      /* host-physical base of guest RAM when pinned */
    bool has_paddr;
    enum polc_vm_boot boot;
    long boot_line;
    size_t boot_count;  /* <linux> and <image> children (exactly one) */
    const char *kernel_name; /* linux */
    const char *initrd_name; /* linux, optional */
    const char *cmdline;     /* linux, "" when absent */
    const char *file_name;   /* image */
    uint64_t load;           /* image: guest-physical load address */
    uint64_t entry;          /* image: guest-physical entry (default load) */
    bool has_entry;
    bool has_console;
    long console_line;
    struct polc_channel *console; /* the kernel-written "<vm>.log" channel */
    uint32_t index;               /* into the blob's vms */

    /* Loaded (polc_vm_load). */
    const uint8_t *kernel;   /* linux: the bzImage */
    size_t kernel_size;
    struct polc_bzimage hdr;
    const uint8_t *initrd;
    size_t initrd_size;
    const uint8_t *image;    /* image form */
    size_t image_size;
    bool loaded;

    /* Guest-physical layout (vm_layout.c). */
    uint64_t kernel_gpa;     /* where the protected-mode kernel or the flat image goes */
    uint64_t kernel_bytes;   /* its size */
    uint64_t initrd_gpa;
    uint64_t entry_gpa;
    uint64_t boot_rsi;
    uint64_t sinfo_gpa;
    uint64_t cmdline_len;    /* the command line moat-polc writes, without the NUL */
    struct polc_region *ram;
    struct polc_region *vmcb;
    struct polc_region *pristine_kernel;
    struct polc_region *pristine_initrd;
    struct polc_region *pristine_boot; /* the boot-state area: ACPI, zero page, command line */
    uint8_t vectors[MOAT_MAX_EVENTS];  /* incoming event id -> injected vector */
};

/* One channel end a subject holds (its index, built once by polc_index_subjects). */
struct polc_subject_end {
    struct polc_channel *channel;
    struct polc_endpoint *endpoint;
    bool writer;
};

struct polc_subject {
    const char *name;
    long line;
    subject_id_t id;
    uint64_t cpu;
    const char *image_name;
    uint8_t on_fault;
    uint64_t stack_size;
    bool has_stack_size;
    struct polc_vm *vm; /* NULL: a native subject */
    struct polc_memory *memories;
    size_t memory_count;
    struct polc_ioport *ioports;
    size_t ioport_count;
    struct polc_irq *irqs;
    size_t irq_count;
    struct polc_timer *timers;
    size_t timer_count;

    /* filled by later stages */
    struct polc_image image;
    bool image_ok;
    bool scheduled;
    unsigned send_count;
    unsigned recv_count;
    struct polc_mapping *maps;
    size_t map_count;
    struct polc_region *stack;
    struct polc_region *sinfo;
    struct polc_region *pagetable;
    uint8_t *io_bitmap; /* NULL when no ports */
    /* Its channel ends (channel order, writer first), the events it sends (by send id)
     * and the notifications it receives (by document order): polc_index_subjects. */
    struct polc_subject_end *ends;
    size_t end_count;
    struct polc_event **sends;
    struct polc_event **notifies;
    size_t notify_count;
    uint32_t send_first;  /* into the blob's sends */
    uint32_t reset_first; /* into the blob's resets */
    uint32_t reset_count;
};

struct polc_endpoint {
    const char *subject_name;
    long line;
    vaddr_t vaddr;
    bool has_vaddr;
    struct polc_subject *subject;
    vaddr_t virt; /* where the subject maps it (layout) */
};

struct polc_channel {
    const char *name;
    long line;
    uint64_t size;
    uint64_t element_size;
    uint64_t protocol;
    paddr_t paddr;
    bool has_paddr;
    struct polc_endpoint *writers;
    size_t writer_count;
    struct polc_endpoint *readers;
    size_t reader_count;
    struct polc_region *region;
    bool kernel_log;     /* one of <kernel-log>'s channels: written by the kernel on */
    uint64_t kernel_cpu; /* this CPU, no writer subject */
    /* memory="device": at paddr in memory the platform provides that is not RAM (a
     * host-shared file under QEMU). Its region is kept out of sys->regions, so it is not
     * in the blob's RAM list, the image or the memory end; only page tables map it. */
    bool device;
    struct polc_subject *console_of; /* a VM's console: written by the kernel for this VM */
};

struct polc_event {
    const char *name;
    long line;
    const char *from_name;
    const char *to_name;   /* NULL when absent */
    const char *plan_name; /* NULL when absent */
    const char *irq_name;  /* NULL when absent */
    uint8_t action;        /* enum moat_event_action */
    uint64_t vector;       /* notify to a VM: the interrupt vector injected */
    bool has_vector;
    struct polc_subject *from;
    struct polc_subject *to;
    plan_id_t plan;
    struct polc_irq *irq;
    unsigned send_id;
    unsigned recv_id; /* notify only */
};

struct polc_frame {
    const char *subject_name; /* NULL: idle */
    long line;
    uint64_t ticks;
    struct polc_subject *subject;
};

struct polc_plan_cpu {
    uint64_t id;
    long line;
    struct polc_frame *frames;
    size_t frame_count;
};

struct polc_plan {
    const char *name;
    long line;
    struct polc_plan_cpu *cpus;
    size_t cpu_count;
    uint64_t major_ticks;
};

struct polc_system {
    const char *name;
    long line;
    uint64_t cpu_count;
    bool cpu_count_bad; /* reported; later checks stay quiet about CPUs */
    long platform_line;
    uint64_t memory_size;
    uint64_t audit_size;
    uint64_t tick_ns;
    long scheduling_line;
    const char *initial_plan_name;
    plan_id_t initial_plan;
    struct polc_subject *subjects;
    size_t subject_count;
    struct polc_channel *channels;
    size_t channel_count;
    struct polc_event *events;
    size_t event_count;
    struct polc_plan *plans;
    size_t plan_count;

    struct polc_region *audit;
    struct polc_region *state; /* per-subject kernel state, never mapped into a subject */
    struct polc_names *subject_names; /* name -> first subject of that name (check_names) */
    struct polc_region **regions; /* every physical region, in allocation order */
    size_t region_count;
    size_t region_cap;
};

/* ---- one run of the compiler ---- */
struct polc_ctx {
    struct polc_arena arena;
    const char *file; /* the policy path as given: prefix of every message */
    const char *policy_dir;
    const char *const *include_dirs;
    size_t include_dir_count;
    struct polc_buf messages; /* every diagnostic, in order */
    unsigned error_count;
    struct polc_system sys;
};

void polc_error(struct polc_ctx *ctx, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Stages, in order. Each returns false when it reported an error that stops the run. */
bool polc_parse(struct polc_ctx *ctx, const uint8_t *xml, size_t xml_size);
void polc_check_names(struct polc_ctx *ctx);
void polc_check_channels(struct polc_ctx *ctx);
void polc_check_events(struct polc_ctx *ctx);
void polc_check_schedule(struct polc_ctx *ctx);
void polc_check_devices(struct polc_ctx *ctx);
void polc_check_memories(struct polc_ctx *ctx);
void polc_load_images(struct polc_ctx *ctx);
void polc_layout_virtual(struct polc_ctx *ctx);
/* Pieces of the virtual layout that the VM layout shares (layout.c). */
struct polc_mapping *polc_add_map(struct polc_subject *s, const char *what, long line, vaddr_t virt,
                                  uint64_t size, unsigned perm, struct polc_region *region);
/* The mappings automatic ones are placed around, by address (polc_map_ptr_cmp order). */
struct polc_fixed {
    const struct polc_mapping **maps;
    size_t count;
    size_t passed; /* maps[0..passed) end at or below the cursor */
};
int polc_map_ptr_cmp(const void *a, const void *b);
/* First address >= *cursor where size bytes and a guard page touch no fixed mapping. */
vaddr_t polc_place(struct polc_fixed *fixed, vaddr_t *cursor, uint64_t size, bool large);
void polc_check_overlaps(struct polc_ctx *ctx, struct polc_subject *s);
void polc_layout_physical(struct polc_ctx *ctx);

/*
 * VM subjects (vm_check.c, vm_linux.c, vm_layout.c, vm_boot.c, vm_acpi.c). A VM's
 * guest-physical map: RAM [0, ram_size) mapped read-write-execute, of which the e820
 * table shows [POLC_VM_LOW_RAM_END, POLC_VM_HIGH_RAM) reserved; inside that hole the
 * boot-state area (ACPI tables, zero page, command line) that the reset steps copy from a
 * pristine copy; its sinfo page, memories and channels above RAM, below POLC_VM_GPA_END.
 */
#define POLC_VM_LOW_RAM_END 0xa0000ULL
#define POLC_VM_HIGH_RAM    0x100000ULL
#define POLC_VM_BOOT_GPA    0xe0000ULL /* the legacy RSDP scan finds the RSDP here too */
#define POLC_VM_BOOT_SIZE   0x20000ULL
#define POLC_VM_ZERO_PAGE   0x10000ULL /* offsets in the boot-state area */
#define POLC_VM_CMDLINE     0x11000ULL
#define POLC_VM_CMDLINE_MAX 0xfffULL   /* bytes of command line without the NUL */
/* The guest's interrupt-controller window and above stay unmapped. */
#define POLC_VM_GPA_END     0xfec00000ULL
#define POLC_VM_RAM_ALIGN   POLC_LARGE_PAGE
#define POLC_VM_E820_MAX    128u
/* The field the kernel fills at boot with the TSC kHz (MOAT_VM_TSC_DIGITS characters). */
#define POLC_VM_TSC_PARAM   "tsc_early_khz="

/* Channels no subject writes: the kernel log and the VMs' consoles. */
bool polc_channel_by_kernel(const struct polc_channel *ch);
/* A file named by the policy: absolute, or in the policy's folder, then each -I folder. */
const char *polc_find_file(struct polc_ctx *ctx, const char *name);
/* " (looked in DIR, DIR...)" for a file polc_find_file did not find. */
const char *polc_looked_in(struct polc_ctx *ctx);
void polc_check_vms(struct polc_ctx *ctx); /* after polc_check_events */
void polc_vm_load(struct polc_ctx *ctx, struct polc_subject *s);
bool polc_bzimage_parse(struct polc_ctx *ctx, const struct polc_subject *s, const uint8_t *data,
                        size_t size, struct polc_bzimage *out);
void polc_vm_maps(struct polc_ctx *ctx, struct polc_subject *s);
/* Its reset steps (out may be NULL): zero guest RAM, copy the pristine images, zero memories. */
size_t polc_vm_resets(const struct polc_subject *s, struct moat_reset *out);
/* The boot-state area's content (POLC_VM_BOOT_SIZE bytes) and where the kernel patches it. */
void polc_vm_boot_build(const struct polc_ctx *ctx, const struct polc_subject *s, uint8_t *out);
uint64_t polc_vm_tsc_offset(const struct polc_subject *s);
/* The command line moat-polc writes for a Linux VM (the policy's and what it appends;
 * of fixed length for a given policy's), its length, and where the TSC field starts. */
size_t polc_vm_cmdline(const struct polc_vm *vm, char *out, size_t out_size, size_t *tsc_at);
/* The e820 table of a Linux VM: RAM and reserved ranges in address order; returns the count. */
struct polc_e820 {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
};
#define POLC_E820_RAM      1u
#define POLC_E820_RESERVED 2u
size_t polc_vm_e820(const struct polc_subject *s, struct polc_e820 *out, size_t cap);
/* The ACPI tables at the start of the boot-state area (vm_acpi.c); returns their bytes. */
size_t polc_vm_acpi_build(uint8_t *area, uint64_t area_gpa);

/* I/O ports that control the whole machine (ports.c). A subject gets them only through
 * <platform-device>; the ones the kernel keeps, never. */
struct polc_port_range {
    uint64_t first;
    uint64_t last;
    const char *device;
    const char *why; /* how it reaches beyond the subject */
    bool kernel_keeps;
};
/* The next platform range at index >= *next that ports [base, base+count) overlap, or
 * NULL; *next moves past it. */
const struct polc_port_range *polc_platform_port_next(uint64_t base, uint64_t count,
                                                      size_t *next);
/* "ioport" or "platform-device": the element a port range came from. */
const char *polc_ioport_kind(const struct polc_ioport *port);
void polc_check_ioports(struct polc_ctx *ctx);

/* Little-endian fields of ELF files, and one program header read out (elf.c). */
uint64_t polc_le_get(const uint8_t *p, size_t n);
void polc_le_put(uint8_t *p, uint64_t v, size_t n);
struct polc_phdr {
    uint32_t type;
    uint32_t flags;
    uint64_t offset;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t filesz;
    uint64_t memsz;
    uint64_t align;
};
void polc_phdr_read(const uint8_t *ph, struct polc_phdr *out);

/* Loads and validates one ELF file; reports errors against the subject. */
bool polc_elf_load(struct polc_ctx *ctx, struct polc_subject *subject, const char *path);

/* Generators (only called on an error-free policy). */
struct polc_region *polc_new_region(struct polc_ctx *ctx, enum polc_region_kind kind,
                                    const char *owner, const char *name, long line,
                                    uint64_t size);
uint64_t polc_pagetable_pages(const struct polc_subject *subject);
/* Whether a mapping's virtual and physical addresses agree modulo 2 MiB (known before
 * the physical layout: large regions are placed 2 MiB-aligned). */
bool polc_map_large(const struct polc_mapping *map);
void polc_pagetable_build(const struct polc_subject *subject, uint8_t *out);
size_t polc_sinfo_resource_count(const struct polc_subject *subject,
                                 const struct polc_system *sys);
void polc_sinfo_build(const struct polc_ctx *ctx, const struct polc_subject *subject,
                      uint8_t *out, size_t out_size);
void polc_io_bitmap_build(struct polc_ctx *ctx, struct polc_subject *subject);
void polc_generate(struct polc_ctx *ctx); /* page tables, sinfo, I/O bitmaps */
/* The tables blob (moat/abi/tables.h), checksum last; false when it exceeds
 * MOAT_TABLES_CAPACITY (which the layout has already reported). */
bool polc_gen_blob(struct polc_ctx *ctx, struct polc_buf *out);
/* Its size from the policy's counts (the layout refuses a blob beyond the capacity). */
uint64_t polc_blob_size(const struct polc_system *sys, size_t range_count);

/* What the image was packed against, for the report (kernel.c). */
struct polc_kernel_info {
    bool known;            /* false: no kernel (moat-polc layout) */
    uint64_t file_hash;    /* FNV-1a 64 of the kernel file */
    uint64_t file_size;
    uint32_t note_version; /* its MOAT_NOTE_KERNEL */
    uint64_t layout_hash;
    uint64_t blob_size;
};
/* Checks a prebuilt kernel: ELF64 x86-64, its MOAT_NOTE_KERNEL matches this moat-polc's
 * MOAT_TABLES_LAYOUT_HASH, it has the empty tables segment. Fills info. */
bool polc_kernel_check(struct polc_ctx *ctx, const uint8_t *kernel, size_t kernel_size,
                       struct polc_kernel_info *info);
void polc_gen_report(const struct polc_ctx *ctx, const struct polc_kernel_info *kernel,
                     struct polc_buf *out);
/* The bootable image: the kernel with the blob in its tables segment, the policy's
 * regions and the MOAT_NOTE_SYSTEM note. */
bool polc_gen_image(struct polc_ctx *ctx, const uint8_t *kernel, size_t kernel_size,
                    const struct polc_buf *blob, struct polc_buf *out);
/* The memory end a machine needs for the image: the highest region end, in MiB, rounded up. */
uint64_t polc_memory_end_mib(const struct polc_system *sys);
uint64_t polc_fnv1a(const uint8_t *data, size_t size);
void polc_index_subjects(struct polc_ctx *ctx);

/* Parse and every check that needs no subject image; false when the parse failed
 * (the other errors are counted in ctx->error_count). */
bool polc_check_policy(struct polc_ctx *ctx, const uint8_t *xml, size_t xml_size);
/* The whole front half: parse, check, lay out. true when the policy has no error. */
bool polc_compile(struct polc_ctx *ctx, const uint8_t *xml, size_t xml_size);
void polc_ctx_init(struct polc_ctx *ctx, const char *file, const char *const *include_dirs,
                   size_t include_dir_count);
void polc_ctx_free(struct polc_ctx *ctx);

/* The command line (main() forwards to it; tests call it directly). */
int polc_main(int argc, char **argv, struct polc_buf *out, struct polc_buf *err);

/* Helpers shared by stages. */
const char *polc_action_name(uint8_t action);
struct polc_subject *polc_find_subject(struct polc_system *sys, const char *name);
/* " (did you mean 'x'?)" for the subject name closest to a misspelt one, or "". */
const char *polc_subject_hint(struct polc_ctx *ctx, const char *name);
const char *polc_plan_hint(struct polc_ctx *ctx, const char *name);
bool polc_read_file(const char *path, uint8_t **data, size_t *size);
/* The physical ranges in use, adjacent regions merged (what the blob lists for the
 * kernel's memory-map check), from regions sorted by physical address; fills out when
 * not NULL, returns the count. */
size_t polc_merged_regions(const struct polc_system *sys, struct polc_region *const *sorted,
                           struct moat_ram_range *out);
/* Every region sorted by physical address; the caller frees the array. */
struct polc_region **polc_regions_by_phys(const struct polc_system *sys);

#endif /* POLC_H */
