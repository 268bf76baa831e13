/*
 * The kernels moat-polc refuses to pack, each with its message: not an ELF64 x86-64
 * file, no Moat kernel note or one for another layout, no tables segment or one of the
 * wrong size, an image already packed, segments beyond the file, above 16M, overlapping
 * or with more file bytes than memory, a copy of the stand-in kernel broken in one
 * field, a blob beyond the capacity, too many program headers.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_util.h"

static void expect_kernel_refused(const char *kernel, const char *message)
{
    const char *policy = path_in(good_dir, "pipeline.xml");
    const char *out = path_in(work_dir, "refused.elf");
    remove(out);
    struct run r = polc_build(policy, out, kernel, NULL);
    if (r.status != 2 || strstr((const char *)r.err.data, message) == NULL) {
        print_error("kernel %s: wanted status 2 and '%s', got %d:\n%s\n", kernel, message,
                    r.status, (const char *)r.err.data);
        fail();
    }
    struct stat st;
    assert_int_not_equal(stat(out, &st), 0);
    run_free(&r);
}

static void broken_kernels_are_refused(void **state)
{
    (void)state;
    expect_kernel_refused(path_in(good_dir, "pipeline.xml"), "error: not an ELF64 x86-64 file");
    expect_kernel_refused(path_in(elf_dir, "good.elf"), "error: no Moat kernel note");
    expect_kernel_refused(path_in(elf_dir, "kernel-otherlayout.elf"),
                          polc_sprintf(&test_arena,
                                       "kernel-otherlayout.elf: error: built for another tables "
                                       "layout (note version 1, layout hash 0x%016llx; this "
                                       "moat-polc writes version 1, layout hash 0x%016llx)",
                                       (unsigned long long)(MOAT_TABLES_LAYOUT_HASH ^ 0x100),
                                       (unsigned long long)MOAT_TABLES_LAYOUT_HASH));
    expect_kernel_refused(path_in(elf_dir, "kernel-notables.elf"),
                          "error: no tables segment (a PT_LOAD at paddr 0x400000");
    expect_kernel_refused(path_in(elf_dir, "kernel-smalltables.elf"),
                          "error: its tables segment is 6291456 bytes; this moat-polc writes "
                          "into 12582912");
    expect_kernel_refused(path_in(work_dir, "does-not-exist.elf"), "cannot read kernel");
    /* An image already packed is not a kernel to pack again. */
    const char *packed = path_in(work_dir, "packed-once.elf");
    struct run r = polc_build(path_in(good_dir, "pipeline.xml"), packed,
                              path_in(elf_dir, "kernel.elf"), NULL);
    assert_int_equal(r.status, 0);
    run_free(&r);
    expect_kernel_refused(packed, "error: its tables segment already holds");
    expect_kernel_refused(path_in(elf_dir, "kernel-high.elf"), "reaches beyond the kernel's 16M");
    /* A segment the loader would put over the blob, a second tables segment, a segment
     * whose file bytes would spill past its memory. */
    expect_kernel_refused(path_in(elf_dir, "kernel-intables.elf"),
                          "error: segments 4 and 5 overlap (paddr 0x400000 and 0x800000)");
    expect_kernel_refused(path_in(elf_dir, "kernel-twotables.elf"),
                          "error: segments 4 and 5 overlap (paddr 0x400000 and 0x400000)");
    expect_kernel_refused(path_in(elf_dir, "kernel-filesz.elf"),
                          "error: segment 5 has more file bytes (512) than memory (256)");
}

/* A copy of the stand-in kernel to break in one field, and where its parts are. */
struct kernel_copy {
    uint8_t *k;
    size_t size;
    size_t load;   /* program header of its first PT_LOAD (below the tables) */
    size_t tables; /* program header of its tables segment */
    size_t note;   /* the Moat kernel note, in the file */
};

static struct kernel_copy kernel_copy(void)
{
    struct kernel_copy c = {0};
    assert_true(polc_read_file(path_in(elf_dir, "kernel.elf"), &c.k, &c.size));
    size_t phoff = (size_t)polc_le_get(c.k + offsetof(Elf64_Ehdr, e_phoff), 8);
    size_t count = (size_t)polc_le_get(c.k + offsetof(Elf64_Ehdr, e_phnum), 2);
    for (size_t i = 0; i < count; i++) {
        size_t ph = phoff + i * sizeof(Elf64_Phdr);
        uint64_t type = polc_le_get(c.k + ph, 4);
        uint64_t paddr = polc_le_get(c.k + ph + offsetof(Elf64_Phdr, p_paddr), 8);
        if (type == PT_LOAD && paddr == MOAT_TABLES_PHYS) {
            c.tables = ph;
        } else if (type == PT_LOAD && c.load == 0) {
            c.load = ph;
        } else if (type == PT_NOTE) {
            /* mkelf: the PVH note (20 bytes), then the Moat kernel note, last. */
            c.note = (size_t)polc_le_get(c.k + ph + offsetof(Elf64_Phdr, p_offset), 8) + 20;
            assert_memory_equal(c.k + c.note + 12, MOAT_NOTE_NAME, sizeof(MOAT_NOTE_NAME));
        }
    }
    assert_true(c.load != 0 && c.tables != 0 && c.note != 0);
    return c;
}

static void kernel_put(struct kernel_copy *c, size_t offset, uint64_t value, size_t n)
{
    assert_true(offset + n <= c->size);
    for (size_t i = 0; i < n; i++) {
        c->k[offset + i] = (uint8_t)(value >> (8 * i));
    }
}

/* Writes the broken copy and checks that build refuses it with this message. */
static void expect_copy_refused(struct kernel_copy *c, const char *name, const char *message)
{
    expect_kernel_refused(write_temp(name, c->k, c->size), message);
    free(c->k);
}

/* Each field moat-polc checks in a kernel, broken alone in an otherwise good one. */
static void kernels_broken_in_one_field_are_refused(void **state)
{
    (void)state;
    static const char not_elf[] = "error: not an ELF64 x86-64 file";
    static const char no_note[] = "error: no Moat kernel note";
    static const char high[] = "reaches beyond the kernel's 16M";
    struct kernel_copy c = kernel_copy();
    kernel_put(&c, EI_CLASS, ELFCLASS32, 1);
    expect_copy_refused(&c, "k-class32.elf", not_elf);
    c = kernel_copy();
    kernel_put(&c, EI_DATA, ELFDATA2MSB, 1);
    expect_copy_refused(&c, "k-bigendian.elf", not_elf);
    c = kernel_copy();
    kernel_put(&c, offsetof(Elf64_Ehdr, e_machine), EM_386, 2);
    expect_copy_refused(&c, "k-i386.elf", not_elf);
    c = kernel_copy();
    kernel_put(&c, offsetof(Elf64_Ehdr, e_phnum), 0xffff, 2);
    expect_copy_refused(&c, "k-phnum.elf", "error: truncated program headers");
    c = kernel_copy();
    kernel_put(&c, offsetof(Elf64_Ehdr, e_phentsize), 32, 2);
    expect_copy_refused(&c, "k-phentsize.elf", "error: truncated program headers");
    c = kernel_copy();
    kernel_put(&c, c.load + offsetof(Elf64_Phdr, p_filesz), 1ULL << 40, 8);
    expect_copy_refused(&c, "k-filesz.elf", "error: segment 0 lies beyond the end of the file");

    /* A segment one byte past 16M, and one whose end wraps around to a low address. */
    c = kernel_copy();
    uint64_t paddr = polc_le_get(c.k + c.load + offsetof(Elf64_Phdr, p_paddr), 8);
    kernel_put(&c, c.load + offsetof(Elf64_Phdr, p_memsz), MOAT_KERNEL_PHYS_END + 1 - paddr, 8);
    expect_copy_refused(&c, "k-16m-plus-1.elf", high);
    c = kernel_copy();
    kernel_put(&c, c.load + offsetof(Elf64_Phdr, p_paddr), 0xfffffffffffff000ULL, 8);
    kernel_put(&c, c.load + offsetof(Elf64_Phdr, p_memsz), 0x2000, 8);
    expect_copy_refused(&c, "k-wraps.elf", high);

    /* The tables segment: one file byte, or a page more than the blob's capacity. */
    c = kernel_copy();
    kernel_put(&c, c.tables + offsetof(Elf64_Phdr, p_offset), 0, 8);
    kernel_put(&c, c.tables + offsetof(Elf64_Phdr, p_filesz), 1, 8);
    expect_copy_refused(&c, "k-tables-1.elf", "error: its tables segment already holds 1 bytes");
    c = kernel_copy();
    kernel_put(&c, c.tables + offsetof(Elf64_Phdr, p_memsz), MOAT_TABLES_CAPACITY + 0x1000, 8);
    expect_copy_refused(&c, "k-tables-big.elf",
                        polc_sprintf(&test_arena, "error: its tables segment is %llu bytes",
                                     (unsigned long long)MOAT_TABLES_CAPACITY + 0x1000));

    /* The kernel note: another version, a description too short for the hash, a name
     * without its NUL, a note cut off by its segment. */
    c = kernel_copy();
    kernel_put(&c, c.note + 20, MOAT_NOTE_VERSION + 1, 4);
    expect_copy_refused(&c, "k-note-v2.elf",
                        polc_sprintf(&test_arena, "error: built for another tables layout "
                                                  "(note version %d",
                                     MOAT_NOTE_VERSION + 1));
    c = kernel_copy();
    kernel_put(&c, c.note + 4, 8, 4);
    expect_copy_refused(&c, "k-note-short.elf", no_note);
    c = kernel_copy();
    kernel_put(&c, c.note, sizeof(MOAT_NOTE_NAME) - 1, 4);
    expect_copy_refused(&c, "k-note-name.elf", no_note);
    c = kernel_copy();
    size_t note_ph = (size_t)polc_le_get(c.k + offsetof(Elf64_Ehdr, e_phoff), 8);
    while (polc_le_get(c.k + note_ph, 4) != PT_NOTE) {
        note_ph += sizeof(Elf64_Phdr);
    }
    uint64_t note_filesz = polc_le_get(c.k + note_ph + offsetof(Elf64_Phdr, p_filesz), 8);
    kernel_put(&c, note_ph + offsetof(Elf64_Phdr, p_filesz), note_filesz - 4, 8);
    expect_copy_refused(&c, "k-note-cut.elf", no_note);
}

/* A blob beyond the tables segment is refused with its size: 1,600 subjects with a port
 * each need 1,600 I/O bitmaps of 8 KiB, 12.5 MiB. */
static void a_blob_beyond_the_capacity_is_refused(void **state)
{
    (void)state;
    struct polc_buf b = {0};
    polc_buf_printf(&b, "<system name=\"t\"><platform cpus=\"1\" memory=\"4G\"/><subjects>");
    for (int i = 0; i < 1600; i++) {
        polc_buf_printf(&b,
                        "<subject name=\"s%d\" cpu=\"0\" image=\"good.elf\" stack-size=\"4K\">"
                        "<ioport name=\"p\" base=\"0x%x\"/></subject>",
                        i, 0x1000 + i);
    }
    polc_buf_printf(&b, "</subjects><scheduling tick=\"1ms\"><plan name=\"p\"><cpu id=\"0\">");
    for (int i = 0; i < 1600; i++) {
        polc_buf_printf(&b, "<frame subject=\"s%d\" ticks=\"1\"/>", i);
    }
    polc_buf_printf(&b, "</cpu></plan></scheduling></system>");
    const char *policy = write_temp("big-blob.xml", b.data, b.len);
    polc_buf_free(&b);
    struct run r = polc_build(policy, path_in(work_dir, "big-blob.elf"),
                              path_in(elf_dir, "kernel.elf"), NULL);
    assert_int_equal(r.status, 1);
    if (strstr((const char *)r.err.data, "the tables blob is 13") == NULL ||
        strstr((const char *)r.err.data,
               " bytes; the kernel's tables segment holds 12M (12582912 bytes)") == NULL) {
        print_error("got:\n%s\n", (const char *)r.err.data);
        fail();
    }
    run_free(&r);
    /* check says so too: the size is known from the layout. */
    r = polc("check", policy, "-I", elf_dir, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr((const char *)r.err.data, "the tables blob is 13"));
    run_free(&r);
}

/* 600 separate physical ranges need 600 program headers: more than GRUB's window. */
static void too_many_program_headers_are_refused(void **state)
{
    (void)state;
    struct polc_buf b = {0};
    polc_buf_printf(&b, "<system name=\"t\"><platform cpus=\"1\" memory=\"1G\"/><subjects>");
    for (int i = 0; i < 20; i++) {
        polc_buf_printf(&b, "<subject name=\"s%d\" cpu=\"0\" image=\"good.elf\">", i);
        for (int j = 0; j < 30; j++) {
            polc_buf_printf(&b, "<memory name=\"m%d\" size=\"4K\" paddr=\"0x%x\"/>", j,
                            0x4000000 + (i * 30 + j) * 0x2000);
        }
        polc_buf_printf(&b, "</subject>");
    }
    polc_buf_printf(&b, "</subjects><scheduling tick=\"1ms\"><plan name=\"p\"><cpu id=\"0\">");
    for (int i = 0; i < 20; i++) {
        polc_buf_printf(&b, "<frame subject=\"s%d\" ticks=\"1\"/>", i);
    }
    polc_buf_printf(&b, "</cpu></plan></scheduling></system>");
    const char *policy = write_temp("many-ranges.xml", b.data, b.len);
    polc_buf_free(&b);
    struct run r = polc_build(policy, path_in(work_dir, "many-ranges.elf"),
                              path_in(elf_dir, "kernel.elf"), NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr((const char *)r.err.data,
                           "program headers push the kernel's Multiboot2 header beyond the first "
                           "32 KiB"));
    run_free(&r);
}

int test_kernel_input_run(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(broken_kernels_are_refused),
        cmocka_unit_test(kernels_broken_in_one_field_are_refused),
        cmocka_unit_test(a_blob_beyond_the_capacity_is_refused),
        cmocka_unit_test(too_many_program_headers_are_refused),
    };
    return cmocka_run_group_tests_name("kernel input", tests, NULL, NULL);
}
