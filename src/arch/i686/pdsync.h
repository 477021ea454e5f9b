/// @file pdsync.h
/// i686: keeping the kernel part of every process page directory in step
/// with boot_pd (uvm_arch.cpp).
#pragma once
#include "types.h"

/// First page-directory index of user space (1 GiB, user_arch.h).
constexpr unsigned PD_USER_FIRST = 256;
/// One past the last page-directory index of user space (2 GiB).
constexpr unsigned PD_USER_END = 512;

/// Copy boot_pd[@p i] into every live process page directory. Call with
/// vm_lock held, right after changing boot_pd[@p i]; a user index is skipped.
void pd_sync_kernel_pde(unsigned i);
