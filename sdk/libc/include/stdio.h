/*
 * The Moat SDK's freestanding <stdio.h>: formatting into a buffer only. A subject has
 * no console; moat_log() (<moat/log.h>) sends formatted lines to the log server.
 *
 * Conversions: d i u x X o p s c %; flags - 0 + space #; width and precision (also *);
 * length modifiers hh h l ll z j t. No floating point.
 */
#ifndef MOAT_LIBC_STDIO_H
#define MOAT_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#ifdef __cplusplus
}
#endif

#endif /* MOAT_LIBC_STDIO_H */
