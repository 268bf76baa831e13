/*
 * The Moat SDK version, and the versions of the formats a subject binary depends on.
 * docs/sdk.md says what each number promises and when it changes.
 */
#ifndef MOAT_VERSION_H
#define MOAT_VERSION_H

#include <moat/sinfo_format.h>

/* SDK release: major changes break source compatibility of the public headers. */
#define MOAT_SDK_VERSION_MAJOR 0
#define MOAT_SDK_VERSION_MINOR 1
#define MOAT_SDK_VERSION_PATCH 0
#define MOAT_SDK_VERSION_STRING "0.1.0"
/* One number for comparisons: 0xMMmmpp. */
#define MOAT_SDK_VERSION                                                                           \
    ((MOAT_SDK_VERSION_MAJOR << 16) | (MOAT_SDK_VERSION_MINOR << 8) | MOAT_SDK_VERSION_PATCH)

/* The sinfo page format this SDK reads (checked at start against the page's version). */
#define MOAT_SDK_SINFO_VERSION MOAT_SINFO_VERSION

/*
 * Exit statuses the SDK uses when a subject cannot start: the kernel's exit audit
 * prints them as `status`. Chosen far from what a main() usually returns.
 */
#define MOAT_SDK_EXIT_SINFO_MISSING 90001 /* no sinfo page, or too small for its header */
#define MOAT_SDK_EXIT_SINFO_MAGIC 90002   /* the page lacks MOAT_SINFO_MAGIC */
#define MOAT_SDK_EXIT_SINFO_VERSION 90003 /* the page's format version differs from the SDK's */

#endif /* MOAT_VERSION_H */
