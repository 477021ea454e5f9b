"""Lab 09: wrong solutions the grader must catch, and right ones it must pass (tools/lab-ci mutants 09)."""
from labgrade import edit, hole, mutant, patch, variant

UE = "src/arch/amd64/uentry_arch.cpp"
PROC = "src/process.cpp"
TARGETS = "the shootdown's targets"
LSTAR = "    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)&syscall_entry);\n"
STAR = "wrmsr(MSR_STAR, (uint64_t)SEL_UCODE32 << 48 | (uint64_t)SEL_KCODE << 32);"
FMASK = "wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);"

mutant("lstar_bsp_only", breaks=["entry_msrs_every_cpu", "syscalls_on_every_cpu"],
       what="LSTAR written by the boot CPU only, as if MSRs were shared: an AP's first syscall jumps to 0",
       edits=[edit(UE, LSTAR, "    if (this_cpu()->id == 0) wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)&syscall_entry);\n")])
mutant("no_sce", breaks=["entry_msrs_every_cpu", "syscalls_on_every_cpu"],
       what="EFER.SCE never set: every syscall is #UD",
       edits=[edit(UE, "    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);\n", "")])
mutant("star_off_by_8", breaks=["star_selectors"],
       what="STAR[63:48] holds user data, not the selector 8 below it: SYSRET loads CS 0x33 (the TSS) and SS 0x2b",
       edits=[edit(UE, STAR, "wrmsr(MSR_STAR, (uint64_t)SEL_UDATA << 48 | (uint64_t)SEL_KCODE << 32);")])
mutant("fmask_without_if", breaks=["fmask_clears_if"],
       what="FMASK without IF: an interrupt may come before the entry has left the user's stack",
       edits=[edit(UE, FMASK, "wrmsr(MSR_FMASK, RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);")])
mutant("fmask_without_nt", breaks=["fmask_clears_if"],
       what="FMASK without NT: a program that sets NT with POPF makes the next IRETQ in the kernel fault",
       edits=[edit(UE, FMASK, "wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC);")])
mutant("rsp0_not_updated", breaks=["rsp0_every_switch"],
       what="only the SYSCALL slot is switched: an interrupt from ring 3 lands on a stack of another thread",
       edits=[edit(UE, "    c->arch.tss.rsp[0] = top;  // interrupts and exceptions from ring 3 (SDM Vol. 3A 6.14.4)\n",
                   "")])
mutant("syscall_slot_not_updated", breaks=["rsp0_every_switch"],
       what="only rsp0 is switched: a syscall runs on the stack of whichever thread set the slot last",
       edits=[edit(UE, "    c->entry_kstack = top;     // SYSCALL, which switches no stack by itself\n", "")])
mutant("cpu_boot_stack", breaks=["rsp0_every_switch"],
       what="rsp0 and the slot set to the CPU's own boot stack (Cpu::kstack_top), not the thread's",
       edits=[hole(UE, "the stacks ring 3 enters on", """\
    (void)top;
    Cpu* c = this_cpu();
    c->arch.tss.rsp[0] = c->kstack_top;
    c->entry_kstack = c->kstack_top;
""")])
mutant("no_swapgs_before_sysret", breaks=["swapgs_both_ways"],
       what="the SYSRETQ path returns to ring 3 without SWAPGS: user code runs with the kernel's GS, and the "
            "next entry swaps in the user's",
       edits=[patch("src/arch/amd64/uentry.asm", "    swapgs\n    o64 sysret\n", "    o64 sysret\n")])
mutant("no_swapgs_iret_to_user", breaks=["swapgs_both_ways"],
       what="the interrupt and exception return to ring 3 leaves out SWAPGS",
       edits=[patch("src/arch/amd64/trapentry.asm", "    add rsp, 16\n    swapgs\nuser_iretq:\n",
                    "    add rsp, 16\nuser_iretq:\n")])

mutant("shootdown_to_every_cpu", breaks=["shootdown_targets"],
       what="munmap shoots down every other online CPU: right, but it interrupts CPUs that never held the tables",
       edits=[edit(PROC, "        CpuMask targets = p->active;\n", "        CpuMask targets = cpu_online_mask;\n")])
mutant("shootdown_to_nobody", breaks=["munmap_gone_everywhere"],
       what="only this CPU's TLB is flushed: the other threads' CPUs keep reading the freed page",
       edits=[hole(PROC, TARGETS, "        CpuMask targets;\n")])
mutant("shootdown_counts_itself", breaks=["shootdown_targets"],
       what="this CPU left in the targets: a 1-thread process's munmap counts one remote CPU",
       edits=[edit(PROC, "        targets.clear(cpu_number());\n", "")])

variant("msrs_another_way", what="the MSRs in another order, STAR from the data selector minus 8, Linux's "
        "wider FMASK (TF, IF, DF, IOPL, AC, NT), EFER written last",
        edits=[hole(UE, "this CPU's SYSCALL entry", """\
    wrmsr(MSR_LSTAR, reinterpret_cast<uint64_t>(&syscall_entry));
    const uint64_t sysret_base = SEL_UDATA - 8;
    wrmsr(MSR_STAR, (sysret_base << 48) | ((uint64_t)SEL_KCODE << 32));
    wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | (3u << 12) | RFLAGS_AC | (1u << 14));
    uint64_t efer = rdmsr(MSR_EFER);
    if (!(efer & EFER_SCE)) wrmsr(MSR_EFER, efer | EFER_SCE);
""")])
variant("stacks_through_this_cpu", what="the SYSCALL slot first, then rsp0, each through this_cpu()",
        edits=[hole(UE, "the stacks ring 3 enters on", """\
    this_cpu()->entry_kstack = top;
    this_cpu()->arch.tss.rsp[0] = top;
""")])
variant("targets_cpu_by_cpu", what="the targets built CPU by CPU from the active mask, skipping this one",
        edits=[hole(PROC, TARGETS, """\
        CpuMask targets;
        uint32_t self = cpu_number();
        for_each_cpu(k, p->active)
            if (k != self) targets.set(k);
""")])
