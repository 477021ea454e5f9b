/// @file userrange.cpp
/// The range half of every user-pointer check (userrange.h).
#include "userrange.h"

bool user_range_valid(uint64_t addr, uint64_t len, uint64_t base, uint64_t end) {
    // addr < end first, so end - addr cannot wrap; then a length of up to
    // 2^64 - 1 is compared, not added (addr + len would wrap past zero and
    // pass a naive `addr + len <= end`).
    return addr >= base && addr < end && len <= end - addr;
}
