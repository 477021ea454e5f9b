/// @file panic.h (host fake): a panic throws FakeFault, which the test reports.
#pragma once
#include "types.h"

[[noreturn]] void panic(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
