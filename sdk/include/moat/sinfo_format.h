/*
 * The subject info page (sinfo): what moat-polc tells a subject about itself, mapped
 * read-only at MOAT_SINFO_VIRT. Resources are found by name, so a subject binary does
 * not depend on where the policy places things. Little-endian, fixed-size records.
 * The kernel writes only tsc_khz, at boot.
 */
#ifndef MOAT_SINFO_FORMAT_H
#define MOAT_SINFO_FORMAT_H

#include <stdint.h>

#define MOAT_SINFO_MAGIC   0x4f464e4954414f4dULL /* "MOATINFO" */
#define MOAT_SINFO_VERSION 1u
#define MOAT_NAME_MAX      64u /* including the terminating NUL */

enum moat_resource_kind {
    MOAT_RES_MEMORY = 1,
    MOAT_RES_CHANNEL = 2,
    MOAT_RES_EVENT_SEND = 3, /* id: outgoing event id for event_send */
    MOAT_RES_EVENT_RECV = 4, /* id: incoming event id (pending bit) */
    MOAT_RES_IRQ = 5,        /* id: incoming event id; line: IRQ line */
    MOAT_RES_IOPORT = 6,     /* address: first port; size: port count */
};

#define MOAT_RES_WRITABLE   0x1u
#define MOAT_RES_EXECUTABLE 0x2u
#define MOAT_RES_WRITER     0x4u /* channel: this subject is the writer */

struct moat_sinfo_resource {
    char name[MOAT_NAME_MAX];
    uint32_t kind;  /* enum moat_resource_kind */
    uint32_t flags; /* MOAT_RES_* */
    uint64_t address;
    uint64_t size;
    uint64_t element_size; /* channel */
    uint64_t protocol;     /* channel */
    uint32_t id;           /* event / irq: event id */
    uint32_t line;         /* irq: line */
};

struct moat_sinfo {
    uint64_t magic;   /* MOAT_SINFO_MAGIC */
    uint32_t version; /* MOAT_SINFO_VERSION */
    uint32_t resource_count;
    char subject_name[MOAT_NAME_MAX];
    char system_name[MOAT_NAME_MAX];
    uint32_t cpu;
    uint32_t subject_id;
    uint64_t tsc_khz; /* written by the kernel at boot */
    uint64_t reserved[4];
    struct moat_sinfo_resource resources[]; /* resource_count records follow */
};

#endif /* MOAT_SINFO_FORMAT_H */
