/// @file nouser.cpp
/// Stand-ins for an arch whose user-mode layer (uentry.h, uvm.h, its
/// usercopy.asm and trapframe accessors) does not exist yet. CMake compiles
/// this file instead of process.cpp, syscalls.cpp, usercopy.cpp and the user
/// self-tests when `src/arch/<arch>/uentry_arch.cpp` is missing
/// (cmake/kernel.cmake): that kernel builds and boots, with no ring 3.
#include "log.h"
#include "process.h"
#include "uentry.h"
#include "uvm.h"
#include "../user/lib/sysnum.h"

void arch_user_cpu_init() {}
void arch_set_kernel_stack(uintptr_t) {}
void uvm_activate(PtRoot) {}
PtRoot uvm_current() { return 0; }

void process_init() {}
void process_switch(const Thread*) {}
int process_spawn(const char*, long, int) { return -ENOSYS; }
long process_wait(int, int) { return -ECHILD; }
bool process_kill(int) { return false; }
Process* process_current() { return nullptr; }
void process_ps() { log_info("ps: no user mode on %s yet", COHORT_ARCH); }
uint32_t process_count() { return 0; }
uint32_t process_user_threads() { return 0; }
bool user_trap(TrapFrame*) { return false; }
void user_trap_return(TrapFrame*) {}
