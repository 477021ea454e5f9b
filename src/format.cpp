/// @file format.cpp
/// printf-style formatting without a C library (see format.h).
#include "format.h"

namespace {

/// Appends characters to a bounded buffer while counting the full length.
struct Out {
    char* buf;
    size_t cap;
    size_t len = 0;
    void put(char c) {
        if (len + 1 < cap) buf[len] = c;
        ++len;
    }
    void pad(char c, int n) { while (n-- > 0) put(c); }
};

/// Writes @p v in base @p base into @p tmp (reversed is avoided by filling from the end).
int utoa(char* tmp_end, uint64_t v, unsigned base, bool upper) {
    const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        *--tmp_end = digits[v % base];
        v /= base;
        ++n;
    } while (v != 0);
    return n;
}

void emit_field(Out& o, const char* s, int n, int width, bool left, char padc,
                const char* prefix) {
    int plen = 0;
    while (prefix[plen]) ++plen;
    int fill = width - n - plen;
    if (!left && padc == ' ') o.pad(' ', fill);
    for (int i = 0; i < plen; ++i) o.put(prefix[i]);
    if (!left && padc == '0') o.pad('0', fill);
    for (int i = 0; i < n; ++i) o.put(s[i]);
    if (left) o.pad(' ', fill);
}

}  // namespace

size_t kvsnprintf(char* buf, size_t cap, const char* fmt, va_list ap) {
    Out o{buf, cap};
    for (const char* p = fmt; *p; ++p) {
        if (*p != '%') { o.put(*p); continue; }
        ++p;
        bool left = false;
        char padc = ' ';
        for (;; ++p) {
            if (*p == '-') left = true;
            else if (*p == '0') padc = '0';
            else break;
        }
        int width = 0;
        if (*p == '*') { width = va_arg(ap, int); if (width < 0) { left = true; width = -width; } ++p; }
        else while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        int prec = -1;
        if (*p == '.') {
            ++p;
            prec = 0;
            if (*p == '*') { prec = va_arg(ap, int); ++p; }
            else while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
        }
        if (left) padc = ' ';
        // Length modifier: how wide the argument is.
        int lng = 0;  // 0 int, 1 long, 2 long long, 3 size_t, 4 intmax, 5 ptrdiff
        int shrt = 0; // 1 h, 2 hh
        for (;; ++p) {
            if (*p == 'l') lng = lng == 1 ? 2 : 1;
            else if (*p == 'h') shrt = shrt == 1 ? 2 : 1;
            else if (*p == 'z') lng = 3;
            else if (*p == 'j') lng = 4;
            else if (*p == 't') lng = 5;
            else break;
        }
        char tmp[24];
        char* end = tmp + sizeof tmp;
        switch (*p) {
        case 'd': case 'i': {
            int64_t v;
            switch (lng) {
            case 1: v = va_arg(ap, long); break;
            case 2: v = va_arg(ap, long long); break;
            case 3: v = (int64_t)va_arg(ap, size_t); break;
            case 4: v = va_arg(ap, intmax_t); break;
            case 5: v = va_arg(ap, ptrdiff_t); break;
            default: v = va_arg(ap, int);
                if (shrt == 1) v = (short)v; else if (shrt == 2) v = (signed char)v;
            }
            uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
            int n = utoa(end, mag, 10, false);
            emit_field(o, end - n, n, width, left, padc, v < 0 ? "-" : "");
            break;
        }
        case 'u': case 'x': case 'X': {
            uint64_t v;
            switch (lng) {
            case 1: v = va_arg(ap, unsigned long); break;
            case 2: v = va_arg(ap, unsigned long long); break;
            case 3: v = va_arg(ap, size_t); break;
            case 4: v = va_arg(ap, uintmax_t); break;
            case 5: v = (uint64_t)va_arg(ap, ptrdiff_t); break;
            default: v = va_arg(ap, unsigned);
                if (shrt == 1) v = (unsigned short)v; else if (shrt == 2) v = (unsigned char)v;
            }
            int n = utoa(end, v, *p == 'u' ? 10 : 16, *p == 'X');
            emit_field(o, end - n, n, width, left, padc, "");
            break;
        }
        case 'p': {
            uintptr_t v = (uintptr_t)va_arg(ap, void*);
            int n = utoa(end, v, 16, false);
            emit_field(o, end - n, n, width, left, padc, "0x");
            break;
        }
        case 's': {
            const char* s = va_arg(ap, const char*);
            if (!s) s = "(null)";
            int n = 0;
            while (s[n] && (prec < 0 || n < prec)) ++n;
            emit_field(o, s, n, width, left, ' ', "");
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            emit_field(o, &c, 1, width, left, ' ', "");
            break;
        }
        case '%': o.put('%'); break;
        case '\0': --p; break;  // a lone '%' at the end: print nothing more
        default:                 // unknown conversion: show it as written
            o.put('%'); o.put(*p);
        }
    }
    if (cap > 0) buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len;
}

size_t ksnprintf(char* buf, size_t cap, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    size_t n = kvsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
