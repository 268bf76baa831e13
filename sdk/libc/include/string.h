/*
 * The Moat SDK's freestanding <string.h>: the memory and string functions a native
 * subject needs. No locale, no allocation, no errno.
 */
#ifndef MOAT_LIBC_STRING_H
#define MOAT_LIBC_STRING_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
/* Copies at most size - 1 bytes and always terminates (size > 0); returns strlen(src). */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MOAT_LIBC_STRING_H */
