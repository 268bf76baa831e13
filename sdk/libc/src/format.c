/*
 * snprintf and vsnprintf: C99 semantics for the integer, pointer, character and string
 * conversions (no floating point, no %n). The output is always NUL-terminated when
 * size > 0, and the return value is the length the full output would have had.
 */
#include <stdbool.h>
#include <stdint.h>

#include "libc_names.h"

/* Where formatted characters go: buf[0 .. size-1], counting everything. */
struct fmt_out {
    char *buf;
    size_t size;
    size_t len;
};

struct fmt_spec {
    bool left;  /* '-' */
    bool zero;  /* '0' */
    bool plus;  /* '+' */
    bool space; /* ' ' */
    bool alt;   /* '#' */
    size_t width;
    bool has_prec;
    size_t prec;
};

static void fmt_putc(struct fmt_out *o, char c)
{
    if (o->len + 1 < o->size) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void fmt_pad(struct fmt_out *o, char c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fmt_putc(o, c);
    }
}

static void fmt_puts(struct fmt_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fmt_putc(o, s[i]);
    }
}

/* Emit a field body of n characters padded to the width (spaces). */
static void fmt_field(struct fmt_out *o, const struct fmt_spec *sp, const char *s, size_t n)
{
    size_t pad = sp->width > n ? sp->width - n : 0;
    if (!sp->left) {
        fmt_pad(o, ' ', pad);
    }
    fmt_puts(o, s, n);
    if (sp->left) {
        fmt_pad(o, ' ', pad);
    }
}

/* Emit an integer: sign/prefix, precision zeros, digits, all padded to the width. */
static void fmt_integer(struct fmt_out *o, const struct fmt_spec *sp, uint64_t value, bool negative,
                        unsigned base, bool upper, bool pointer)
{
    const char *digit_set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24];
    size_t digit_count = 0;
    uint64_t v = value;
    while (v != 0) {
        digits[digit_count++] = digit_set[v % base];
        v /= base;
    }
    size_t min_digits = sp->has_prec ? sp->prec : 1;

    char prefix[2];
    size_t prefix_len = 0;
    if (negative) {
        prefix[prefix_len++] = '-';
    } else if (sp->plus && base == 10 && !pointer) {
        prefix[prefix_len++] = '+';
    } else if (sp->space && base == 10 && !pointer) {
        prefix[prefix_len++] = ' ';
    }
    if ((sp->alt || pointer) && base == 16 && value != 0) {
        prefix[prefix_len++] = '0';
        prefix[prefix_len++] = upper ? 'X' : 'x';
    }
    /* '#' with octal: the first digit must be 0. */
    if (sp->alt && base == 8 && min_digits <= digit_count) {
        min_digits = digit_count + 1;
    }
    if (sp->alt && base == 8 && value == 0 && min_digits == 0) {
        min_digits = 1;
    }

    size_t zeros = min_digits > digit_count ? min_digits - digit_count : 0;
    size_t body = prefix_len + zeros + digit_count;
    size_t pad = sp->width > body ? sp->width - body : 0;
    bool zero_pad = sp->zero && !sp->left && !sp->has_prec;
    if (zero_pad) {
        zeros += pad;
        pad = 0;
    }
    if (!sp->left) {
        fmt_pad(o, ' ', pad);
    }
    fmt_puts(o, prefix, prefix_len);
    fmt_pad(o, '0', zeros);
    for (size_t i = digit_count; i > 0; i--) {
        fmt_putc(o, digits[i - 1]);
    }
    if (sp->left) {
        fmt_pad(o, ' ', pad);
    }
}

enum fmt_length {
    LEN_INT,
    LEN_CHAR,
    LEN_SHORT,
    LEN_LONG,
    LEN_LLONG,
    LEN_SIZE,
    LEN_MAX,
    LEN_PTRDIFF
};

static int64_t fmt_signed_arg(va_list *ap, enum fmt_length len)
{
    switch (len) {
    case LEN_CHAR:
        return (signed char)va_arg(*ap, int);
    case LEN_SHORT:
        return (short)va_arg(*ap, int);
    case LEN_LONG:
        return va_arg(*ap, long);
    case LEN_LLONG:
        return va_arg(*ap, long long);
    case LEN_SIZE:
        /* The signed type corresponding to size_t. */
        return (int64_t)va_arg(*ap, size_t);
    case LEN_MAX:
        return va_arg(*ap, intmax_t);
    case LEN_PTRDIFF:
        return va_arg(*ap, ptrdiff_t);
    case LEN_INT:
    default:
        return va_arg(*ap, int);
    }
}

static uint64_t fmt_unsigned_arg(va_list *ap, enum fmt_length len)
{
    switch (len) {
    case LEN_CHAR:
        return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_SHORT:
        return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_LONG:
        return va_arg(*ap, unsigned long);
    case LEN_LLONG:
        return va_arg(*ap, unsigned long long);
    case LEN_SIZE:
        return va_arg(*ap, size_t);
    case LEN_MAX:
        return va_arg(*ap, uintmax_t);
    case LEN_PTRDIFF:
        return (uint64_t)va_arg(*ap, ptrdiff_t);
    case LEN_INT:
    default:
        return va_arg(*ap, unsigned int);
    }
}

/* Parse a decimal number; saturates instead of overflowing. */
static size_t fmt_number(const char **p)
{
    size_t n = 0;
    while (**p >= '0' && **p <= '9') {
        size_t d = (size_t)(**p - '0');
        n = n > (SIZE_MAX - d) / 10 ? SIZE_MAX : n * 10 + d;
        (*p)++;
    }
    return n;
}

static void fmt_flags(const char **p, struct fmt_spec *sp)
{
    for (;; (*p)++) {
        switch (**p) {
        case '-':
            sp->left = true;
            break;
        case '0':
            sp->zero = true;
            break;
        case '+':
            sp->plus = true;
            break;
        case ' ':
            sp->space = true;
            break;
        case '#':
            sp->alt = true;
            break;
        default:
            return;
        }
    }
}

static enum fmt_length fmt_length_modifier(const char **p)
{
    switch (**p) {
    case 'h':
        (*p)++;
        if (**p == 'h') {
            (*p)++;
            return LEN_CHAR;
        }
        return LEN_SHORT;
    case 'l':
        (*p)++;
        if (**p == 'l') {
            (*p)++;
            return LEN_LLONG;
        }
        return LEN_LONG;
    case 'z':
        (*p)++;
        return LEN_SIZE;
    case 'j':
        (*p)++;
        return LEN_MAX;
    case 't':
        (*p)++;
        return LEN_PTRDIFF;
    default:
        return LEN_INT;
    }
}

/* Format one conversion starting after '%'; returns the position after it. */
static const char *fmt_conversion(struct fmt_out *o, const char *p, va_list *ap)
{
    struct fmt_spec sp = {0};
    fmt_flags(&p, &sp);
    if (*p == '*') {
        int w = va_arg(*ap, int);
        if (w < 0) {
            sp.left = true;
            sp.width = (size_t)(-(int64_t)w);
        } else {
            sp.width = (size_t)w;
        }
        p++;
    } else {
        sp.width = fmt_number(&p);
    }
    if (*p == '.') {
        p++;
        if (*p == '*') {
            int pr = va_arg(*ap, int);
            sp.has_prec = pr >= 0;
            sp.prec = pr >= 0 ? (size_t)pr : 0;
            p++;
        } else {
            sp.has_prec = true;
            sp.prec = fmt_number(&p);
        }
    }
    enum fmt_length len = fmt_length_modifier(&p);

    switch (*p) {
    case 'd':
    case 'i': {
        int64_t v = fmt_signed_arg(ap, len);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        fmt_integer(o, &sp, mag, v < 0, 10, false, false);
        break;
    }
    case 'u':
        fmt_integer(o, &sp, fmt_unsigned_arg(ap, len), false, 10, false, false);
        break;
    case 'x':
    case 'X':
        fmt_integer(o, &sp, fmt_unsigned_arg(ap, len), false, 16, *p == 'X', false);
        break;
    case 'o':
        fmt_integer(o, &sp, fmt_unsigned_arg(ap, len), false, 8, false, false);
        break;
    case 'p': {
        uintptr_t v = (uintptr_t)va_arg(*ap, void *);
        if (v == 0) {
            /* What glibc prints, so host and subject logs read the same. */
            fmt_field(o, &sp, "(nil)", 5);
        } else {
            sp.alt = true;
            fmt_integer(o, &sp, v, false, 16, false, true);
        }
        break;
    }
    case 'c': {
        char c = (char)va_arg(*ap, int);
        fmt_field(o, &sp, &c, 1);
        break;
    }
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (s == NULL) {
            s = sp.has_prec && sp.prec < 6 ? "" : "(null)";
        }
        size_t n = sp.has_prec ? LIBC_FN(strnlen)(s, sp.prec) : LIBC_FN(strlen)(s);
        fmt_field(o, &sp, s, n);
        break;
    }
    case '%':
        fmt_putc(o, '%');
        break;
    case '\0':
        /* A lone '%' at the end: print it rather than read past the string. */
        fmt_putc(o, '%');
        return p;
    default:
        /* Unknown conversion: print it as written. */
        fmt_putc(o, '%');
        fmt_putc(o, *p);
        break;
    }
    return p + 1;
}

int LIBC_FN(vsnprintf)(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    struct fmt_out o = {.buf = buf, .size = buf == NULL ? 0 : size, .len = 0};
    va_list args;
    va_copy(args, ap);
    const char *p = fmt;
    while (*p != '\0') {
        if (*p != '%') {
            fmt_putc(&o, *p);
            p++;
            continue;
        }
        p = fmt_conversion(&o, p + 1, &args);
    }
    va_end(args);
    if (o.size > 0) {
        o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
    }
    return o.len > (size_t)INT32_MAX ? -1 : (int)o.len;
}

int LIBC_FN(snprintf)(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = LIBC_FN(vsnprintf)(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
