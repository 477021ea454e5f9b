/// @file trap.h (host fake): handlers are accepted and never called.
#pragma once
#include "types.h"

struct TrapFrame;
using TrapHandler = void (*)(TrapFrame* tf);
inline void trap_set_handler(uint8_t, TrapHandler) {}
