/*
 * Private to the test kit: what its parts share. The attached fake sinfo page (the kit's
 * own copy, NULL when none) lets the fake kernel check ids as the kernel would; the
 * resets let moat_test_reset() clear every part.
 */
#ifndef MOAT_TESTKIT_INTERNAL_H
#define MOAT_TESTKIT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <moat/sinfo_format.h>

/* The attached copy, or NULL. */
const struct moat_sinfo *testkit_attached_page(void);
/* Whether the attached page lists a resource of kind with this id. */
bool testkit_page_has_id(uint32_t kind, unsigned id);
void testkit_sinfo_detach(void);
/* True while moat_log() goes to the kit's capture channel. */
bool testkit_log_capturing(void);
void testkit_log_reset(void);
void testkit_kernel_reset(void);

#endif /* MOAT_TESTKIT_INTERNAL_H */
