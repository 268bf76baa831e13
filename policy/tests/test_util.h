/*
 * Helpers shared by the moat-polc end-to-end tests (test_polc.c, test_image.c,
 * test_kernel_input.c).
 */
#ifndef POLC_TEST_UTIL_H
#define POLC_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "polc.h"

/* Folders given on the command line: shipped policies, test ELFs, scratch space. */
extern const char *good_dir;
extern const char *elf_dir;
extern const char *work_dir;

/* Strings the tests build live until the end of the run. */
extern struct polc_arena test_arena;

/* One in-process run of the command line (arguments after the first NULL are ignored). */
struct run {
    int status;
    struct polc_buf out;
    struct polc_buf err;
};
struct run polc(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
                const char *a6, const char *a7, const char *a8);
/* build POLICY -I elf_dir -o OUT [--kernel KERNEL] [--layout LAYOUT] (NULL: left out). */
struct run polc_build(const char *policy, const char *out, const char *kernel,
                      const char *layout);
void run_free(struct run *r);

const char *path_in(const char *dir, const char *name);
const char *write_temp(const char *name, const void *data, size_t size);
bool same_file(const char *a, const char *b);

/* The group runners each test program defines. */
int test_image_run(void);
int test_kernel_input_run(void);
int test_vm_run(void);

#endif /* POLC_TEST_UTIL_H */
