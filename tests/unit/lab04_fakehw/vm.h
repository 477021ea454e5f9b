/// @file vm.h (host fake): the xAPIC page is the fake device's.
#pragma once
#include "types.h"

inline void vm_map_mmio(uintptr_t, size_t) {}
