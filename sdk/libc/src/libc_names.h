/*
 * Names of the libc functions. The freestanding build defines the standard names; the
 * host unit tests build the same sources with MOAT_LIBC_HOST_TEST, which prefixes every
 * name with moat_libc_ so the tests can compare them against the host's libc.
 */
#ifndef MOAT_LIBC_NAMES_H
#define MOAT_LIBC_NAMES_H

#include <stdarg.h>
#include <stddef.h>

#ifdef MOAT_LIBC_HOST_TEST
#define LIBC_FN(name) moat_libc_##name
#else
#define LIBC_FN(name) name
#include <stdio.h>
#include <string.h>
#endif

void *LIBC_FN(memcpy)(void *restrict dst, const void *restrict src, size_t n);
void *LIBC_FN(memmove)(void *dst, const void *src, size_t n);
void *LIBC_FN(memset)(void *dst, int c, size_t n);
int LIBC_FN(memcmp)(const void *a, const void *b, size_t n);
void *LIBC_FN(memchr)(const void *s, int c, size_t n);
size_t LIBC_FN(strlen)(const char *s);
size_t LIBC_FN(strnlen)(const char *s, size_t max);
int LIBC_FN(strcmp)(const char *a, const char *b);
int LIBC_FN(strncmp)(const char *a, const char *b, size_t n);
char *LIBC_FN(strchr)(const char *s, int c);
char *LIBC_FN(strrchr)(const char *s, int c);
char *LIBC_FN(strncpy)(char *restrict dst, const char *restrict src, size_t n);
size_t LIBC_FN(strlcpy)(char *restrict dst, const char *restrict src, size_t size);
int LIBC_FN(snprintf)(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int LIBC_FN(vsnprintf)(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif /* MOAT_LIBC_NAMES_H */
