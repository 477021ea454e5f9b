/// @file timer.h (host fake)
/// Time for the code under test: the fake TSC runs at 1 GHz (fake_device.cpp).
#pragma once
#include "types.h"

uint64_t tsc_khz();
uint64_t now_ns();
uint64_t tsc_to_ns(uint64_t ticks);
void udelay(uint64_t us);
void mdelay(uint64_t ms);
