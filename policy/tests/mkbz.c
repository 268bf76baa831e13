/*
 * Writes the VM boot files the policy tests use: stand-in bzImages (a setup header as
 * the Linux boot protocol lays it out, then a protected-mode part of recognisable bytes)
 * that are good, or broken in one way each, a stand-in initrd and a flat guest binary.
 * Usage: mkbz OUTDIR
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETUP_SECTS 4u
#define SETUP_SIZE  ((SETUP_SECTS + 1u) * 512u)
#define PM_SIZE     0x5234u /* protected-mode part: not a page multiple on purpose */

struct bz_spec {
    const char *name;
    uint16_t version;
    uint8_t loadflags;
    uint8_t relocatable;
    uint32_t init_size;
    bool no_magic;
    bool no_boot_flag;
    size_t truncate_to; /* 0: whole file */
};

static const struct bz_spec specs[] = {
    {"good.bzImage", 0x020f, 0x01, 1, 0x800000, false, false, 0},
    {"fixed.bzImage", 0x020f, 0x01, 0, 0x800000, false, false, 0},
    {"bad-magic.bzImage", 0x020f, 0x01, 1, 0x800000, true, false, 0},
    {"bad-bootflag.bzImage", 0x020f, 0x01, 1, 0x800000, false, true, 0},
    {"old-protocol.bzImage", 0x020b, 0x01, 1, 0x800000, false, false, 0},
    {"zimage.bzImage", 0x020f, 0x00, 1, 0x800000, false, false, 0},
    {"truncated.bzImage", 0x020f, 0x01, 1, 0x800000, false, false, 0x200},
    {"cut-header.bzImage", 0x020f, 0x01, 1, 0x800000, false, false, 0x264},
    {"no-payload.bzImage", 0x020f, 0x01, 1, 0x800000, false, false, SETUP_SIZE},
    {"huge.bzImage", 0x020f, 0x01, 1, 0x10000000, false, false, 0},
    {"unaligned-pref.bzImage", 0x020f, 0x01, 1, 0x800000, false, false, 0},
    {"low-initrd-max.bzImage", 0x020f, 0x01, 1, 0x800000, false, false, 0},
    {"page-over.bzImage", 0x020f, 0x01, 1, 0x801000, false, false, 0}, /* one page past 24M */
    {"wrap.bzImage", 0x020f, 0x01, 0, 0x200000, false, false, 0}, /* runs at 2^64 - 1M */
};

static void put(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static int write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int write_bz(const char *dir, const struct bz_spec *spec)
{
    size_t size = SETUP_SIZE + PM_SIZE;
    uint8_t *k = calloc(1, size);
    if (k == NULL) {
        return 1;
    }
    k[0x1f1] = SETUP_SECTS;
    if (!spec->no_boot_flag) {
        put(k + 0x1fe, 0xaa55, 2);
    }
    k[0x200] = 0xeb;        /* jmp short */
    k[0x201] = 0x6a;        /* the header ends at 0x26c (kernel_info_offset included) */
    if (!spec->no_magic) {
        memcpy(k + 0x202, "HdrS", 4);
    }
    put(k + 0x206, spec->version, 2);
    k[0x211] = spec->loadflags;
    put(k + 0x214, 0x100000, 4);   /* code32_start */
    put(k + 0x22c, 0x7fffffff, 4); /* initrd_addr_max */
    put(k + 0x230, 0x200000, 4);   /* kernel_alignment */
    k[0x234] = spec->relocatable;
    k[0x235] = 21;                 /* min_alignment: 2M */
    put(k + 0x236, 0x7f, 2);       /* xloadflags */
    put(k + 0x238, 2047, 4);       /* cmdline_size */
    put(k + 0x258, 0x1000000, 8);  /* pref_address */
    put(k + 0x260, spec->init_size, 4);
    if (strcmp(spec->name, "unaligned-pref.bzImage") == 0) {
        put(k + 0x258, 0x1001000, 8); /* pref_address off its 2M kernel_alignment */
    }
    if (strcmp(spec->name, "wrap.bzImage") == 0) {
        put(k + 0x258, 0xfffffffffff00000ull, 8); /* run + init_size wraps past 2^64 */
    }
    if (strcmp(spec->name, "low-initrd-max.bzImage") == 0) {
        put(k + 0x22c, 0x17fffff, 4); /* initrd_addr_max: the kernel's own end */
    }
    for (size_t i = SETUP_SIZE; i < size; i++) {
        k[i] = (uint8_t)(i * 7u + 1u);
    }
    int rc = write_file(dir, spec->name, k, spec->truncate_to != 0 ? spec->truncate_to : size);
    free(k);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkbz OUTDIR\n");
        return 2;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
        rc |= write_bz(argv[1], &specs[i]);
    }
    static uint8_t initrd[0x23456];
    for (size_t i = 0; i < sizeof(initrd); i++) {
        initrd[i] = (uint8_t)(i * 13u + 5u);
    }
    rc |= write_file(argv[1], "initrd.img", initrd, sizeof(initrd));
    /* 2M and one byte: it needs 2M + 4K, a page more than 2M of room. */
    static uint8_t big_initrd[0x200001];
    rc |= write_file(argv[1], "big-initrd.img", big_initrd, sizeof(big_initrd));
    static uint8_t tiny[0x1800];
    for (size_t i = 0; i < sizeof(tiny); i++) {
        tiny[i] = (uint8_t)(0xf4u ^ i); /* content to compare, not to run */
    }
    rc |= write_file(argv[1], "tiny.bin", tiny, sizeof(tiny));
    return rc;
}
