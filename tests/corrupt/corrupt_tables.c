/*
 * Corrupts the tables blob of a built system image, the way a broken or foreign
 * moat-polc, a bad copy or a hostile file would, so that the integration tests can watch
 * the kernel refuse it at boot. It finds the tables segment by its program header
 * (PT_LOAD at MOAT_TABLES_PHYS), changes one thing and, where the test targets a rule
 * checked after the checksum, re-seals the blob with moat_tables_checksum. The record
 * layout comes from the ABI header, so the tool follows the format as it changes.
 *
 * Usage: corrupt_tables IN.elf OUT.elf MUTATION
 *   layout-hash   the header names another layout (re-sealed)
 *   size-beyond   the header's size exceeds the tables segment's capacity
 *   cut           the second half of the blob's bytes are missing from the file
 *   frame-subject plan 0, cpu 0, frame 0 names a subject that does not exist (re-sealed)
 *   send-target   the first event routed to a subject names one that does not exist
 *                 (re-sealed)
 *   frame-ticks   plan 0, cpu 0, frame 0 is one tick longer: the CPU's frames no longer
 *                 add up to the major frame (re-sealed)
 * On an image with VM subjects (the first subject that is a VM, and its vm record; all
 * re-sealed, tests/vm-attack/meson.build):
 *   vm-vmcb-guest-ram  its VMCB is the first page of its guest RAM (reset step 0's dst)
 *   vm-vmcb-kernel     its VMCB is the page at 2 MiB (the kernel's trampoline)
 *   vm-console-klog    its console channel is CPU 0's kernel log
 *   vm-vector          its incoming event 0 is vector 14 (#PF)
 *   vm-kind-native     it says it is native (its vm index left as it was)
 *   vm-tsc-guest-ram   its TSC-kHz patch lies in its guest RAM
 */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moat/abi/layout.h"
#include "moat/abi/tables.h"

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int fail(const char *what)
{
    fprintf(stderr, "corrupt_tables: %s\n", what);
    return 1;
}

/* Re-seals: the checksum over the blob's `size` bytes, as moat-polc writes it. */
static void reseal(uint8_t *blob)
{
    struct moat_tables_header h;
    memcpy(&h, blob, sizeof(h));
    h.checksum = moat_tables_checksum(blob, h.size);
    memcpy(blob, &h, sizeof(h));
}

/* The VM mutations (usage above): the first VM subject and its vm record. */
static bool corrupt_vm(uint8_t *blob, const struct moat_tables_header *h, const char *mutation)
{
    struct moat_subject s;
    uint8_t *at = NULL;
    for (uint32_t i = 0; i < h->subjects.count && at == NULL; i++) {
        memcpy(&s, blob + h->subjects.offset + i * sizeof(s), sizeof(s));
        if (s.kind == MOAT_SUBJECT_VM) {
            at = blob + h->subjects.offset + i * sizeof(s);
        }
    }
    if (at == NULL) {
        return false;
    }
    struct moat_vm vm;
    uint8_t *vm_at = blob + h->vms.offset + s.vm * sizeof(vm);
    memcpy(&vm, vm_at, sizeof(vm));
    struct moat_reset ram;
    memcpy(&ram, blob + h->resets.offset + s.reset_first * sizeof(ram), sizeof(ram));
    if (strcmp(mutation, "vm-vmcb-guest-ram") == 0) {
        vm.vmcb = ram.dst;
    } else if (strcmp(mutation, "vm-vmcb-kernel") == 0) {
        vm.vmcb = 0x200000;
    } else if (strcmp(mutation, "vm-console-klog") == 0) {
        vm.console_phys = h->klog_phys[0];
        vm.console_size = h->klog_size;
    } else if (strcmp(mutation, "vm-vector") == 0) {
        vm.vectors[0] = 14;
    } else if (strcmp(mutation, "vm-kind-native") == 0) {
        s.kind = MOAT_SUBJECT_NATIVE;
        memcpy(at, &s, sizeof(s));
    } else if (strcmp(mutation, "vm-tsc-guest-ram") == 0) {
        vm.tsc_khz_patch = ram.dst + 0x1000;
    } else {
        return false;
    }
    memcpy(vm_at, &vm, sizeof(vm));
    reseal(blob);
    return true;
}

static bool corrupt(uint8_t *blob, uint8_t *phdr, const char *mutation)
{
    struct moat_tables_header h;
    memcpy(&h, blob, sizeof(h));
    if (strcmp(mutation, "layout-hash") == 0) {
        h.layout_hash ^= 0x1;
        memcpy(blob, &h, sizeof(h));
        reseal(blob);
    } else if (strcmp(mutation, "size-beyond") == 0) {
        h.size = MOAT_TABLES_CAPACITY + 8;
        memcpy(blob, &h, sizeof(h));
    } else if (strcmp(mutation, "cut") == 0) {
        uint64_t filesz = le(phdr + offsetof(Elf64_Phdr, p_filesz), 8);
        put_le(phdr + offsetof(Elf64_Phdr, p_filesz), h.header_size + (filesz - h.header_size) / 2, 8);
    } else if (strcmp(mutation, "frame-subject") == 0 || strcmp(mutation, "frame-ticks") == 0) {
        struct moat_plan plan;
        struct moat_frame frame;
        memcpy(&plan, blob + h.plans.offset, sizeof(plan));
        uint8_t *at = blob + h.frames.offset + plan.cpus[0].frame_first * sizeof(frame);
        memcpy(&frame, at, sizeof(frame));
        if (strcmp(mutation, "frame-ticks") == 0) {
            frame.ticks += 1;
        } else {
            frame.subject = (subject_id_t)h.subjects.count;
        }
        memcpy(at, &frame, sizeof(frame));
        reseal(blob);
    } else if (strcmp(mutation, "send-target") == 0) {
        bool done = false;
        for (uint32_t i = 0; i < h.sends.count && !done; i++) {
            struct moat_event_route r;
            uint8_t *at = blob + h.sends.offset + i * sizeof(r);
            memcpy(&r, at, sizeof(r));
            if (r.action == MOAT_ACTION_NOTIFY || r.action == MOAT_ACTION_RESTART ||
                r.action == MOAT_ACTION_STOP) {
                r.target = (subject_id_t)h.subjects.count;
                memcpy(at, &r, sizeof(r));
                done = true;
            }
        }
        if (!done) {
            return false;
        }
        reseal(blob);
    } else if (strncmp(mutation, "vm-", 3) == 0) {
        return corrupt_vm(blob, &h, mutation);
    } else {
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        return fail("usage: corrupt_tables IN.elf OUT.elf MUTATION");
    }
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0) {
        return fail("cannot read the image");
    }
    size_t size = (size_t)ftell(f);
    rewind(f);
    uint8_t *image = malloc(size);
    if (image == NULL || fread(image, 1, size, f) != size) {
        return fail("cannot read the image");
    }
    fclose(f);
    uint64_t phoff = le(image + offsetof(Elf64_Ehdr, e_phoff), 8);
    uint64_t phnum = le(image + offsetof(Elf64_Ehdr, e_phnum), 2);
    uint8_t *tables = NULL;
    for (uint64_t i = 0; i < phnum && tables == NULL; i++) {
        uint8_t *ph = image + phoff + i * sizeof(Elf64_Phdr);
        if (le(ph + offsetof(Elf64_Phdr, p_type), 4) == PT_LOAD &&
            le(ph + offsetof(Elf64_Phdr, p_paddr), 8) == MOAT_TABLES_PHYS &&
            le(ph + offsetof(Elf64_Phdr, p_filesz), 8) >= sizeof(struct moat_tables_header)) {
            tables = ph;
        }
    }
    if (tables == NULL) {
        return fail("no tables segment with a blob in the image");
    }
    uint8_t *blob = image + le(tables + offsetof(Elf64_Phdr, p_offset), 8);
    if (!corrupt(blob, tables, argv[3])) {
        return fail("unknown mutation, or nothing to corrupt");
    }
    f = fopen(argv[2], "wb");
    if (f == NULL || fwrite(image, 1, size, f) != size || fclose(f) != 0) {
        return fail("cannot write the image");
    }
    free(image);
    return 0;
}
