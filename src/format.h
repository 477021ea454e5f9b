/// @file format.h
/// A small printf-style formatter, the same code in the kernel and the host tests.
///
/// Conversions: `%d %i %u %x %X %p %s %c %%`, with the flags `-` (left
/// justify) and `0` (zero pad), a field width (a number or `*`), a precision
/// for `%s` (`%.*s`), and the length modifiers `hh h l ll z j t`. 64-bit values
/// (`%llu`, `%llx`) work on i686 too. No floating point: the kernel has none.
#pragma once
#include "types.h"

/// Format into @p buf of @p cap bytes, always NUL-terminated when cap > 0.
/// Returns the length the whole output would have had (like vsnprintf), so a
/// caller can tell truncation (result >= cap).
size_t kvsnprintf(char* buf, size_t cap, const char* fmt, va_list ap);

/// As kvsnprintf, with the arguments inline.
size_t ksnprintf(char* buf, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
