/// @file userrange.h
/// The range half of every user-pointer check (usercopy.h): hardware-free, so
/// the kernels and the host unit tests (tests/unit/test_userrange.cpp) run
/// the same code, with each arch's ::USER_BASE and ::USER_END.
#pragma once
#include "types.h"

/// True when [@p addr, @p addr + @p len) lies inside [@p base, @p end)
/// (@p len 0: @p addr itself must lie in it). No wrap-around: @p addr + @p len
/// is never computed; the length is compared with the room left below @p end.
bool user_range_valid(uint64_t addr, uint64_t len, uint64_t base, uint64_t end);
