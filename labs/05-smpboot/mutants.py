"""Lab 05: wrong solutions the grader must catch, and right ones it must pass (tools/lab-ci mutants 05)."""
from labgrade import edit, hole, mutant, variant

SMP = "src/smpboot.cpp"

mutant("parallel_one_by_one", breaks=["parallel_order"],
       what="\"parallel\" that runs INIT, wait, SIPI, wait for one AP after the other, all in smp_boot()",
       edits=[hole(SMP, "INIT to every target", ""),
              hole(SMP, "what is left of the INIT wait", """\
        for (uint32_t i = 0; i < started; ++i) {
            send_init(*targets[i]);
            udelay(opts.init_delay_us);
            send_sipi(*targets[i]);
            udelay(opts.sipi_delay_us);
            if (targets[i]->boot_stage == StageNotStarted) {
                send_sipi(*targets[i]);
                udelay(opts.sipi_delay_us);
            }
        }
""")])

mutant("parallel_waits_each", breaks=["parallel_order"],
       what="INIT to all, one wait, then each SIPI waits for that AP to come online",
       edits=[hole(SMP, "what is left of the INIT wait", """\
        udelay_since(targets[started - 1]->init_tsc, opts.init_delay_us);
        for (uint32_t i = 0; i < started; ++i) {
            send_sipi(*targets[i]);
            udelay(opts.sipi_delay_us);
            if (targets[i]->boot_stage == StageNotStarted) send_sipi(*targets[i]);
            wait_online(*targets[i], rdtsc() + ms_to_tsc(opts.ap_timeout_ms));
        }
""")])

mutant("no_init_wait", breaks=["init_wait", "sequential_4cpus"],
       what="SIPI right after INIT, or right after the set-up between the halves, without the INIT wait "
            "(QEMU does not mind; a real CPU may)",
       edits=[edit(SMP, """        udelay_since(targets[started - 1]->init_tsc, opts.init_delay_us);
""", ""),
              edit(SMP, """            send_init(c);
            udelay(opts.init_delay_us);""", """            send_init(c);""")])

mutant("init_twice", breaks=["second_sipi"],
       what="INIT to every target in smp_boot_begin(), and again in smp_boot() before the wait",
       edits=[hole(SMP, "what is left of the INIT wait", """\
        for (uint32_t i = 0; i < started; ++i) send_init(*targets[i]);
        udelay(opts.init_delay_us);
        for (uint32_t i = 0; i < started; ++i) send_sipi(*targets[i]);
        udelay(opts.sipi_delay_us);
        for (uint32_t i = 0; i < started; ++i)
            if (targets[i]->boot_stage == StageNotStarted) send_sipi(*targets[i]);
        udelay(opts.sipi_delay_us);
""")])

mutant("second_sipi_always", breaks=["second_sipi", "sequential_4cpus"],
       what="the second SIPI sent to every AP, started or not",
       edits=[edit(SMP, "if (targets[i]->boot_stage == StageNotStarted) { send_sipi(*targets[i]); ++resent; }",
                   "{ send_sipi(*targets[i]); ++resent; }"),
              edit(SMP, "if (c.boot_stage == StageNotStarted) {  // only if the first was not taken", "{")])

mutant("second_sipi_never", breaks=["lost_sipi", "i686_sequential"],
       what="one SIPI only: an AP that missed it never starts",
       edits=[edit(SMP, """        uint32_t resent = 0;
        for (uint32_t i = 0; i < started; ++i)
            if (targets[i]->boot_stage == StageNotStarted) { send_sipi(*targets[i]); ++resent; }
        if (resent) udelay(opts.sipi_delay_us);""", ""),
              edit(SMP, """            if (c.boot_stage == StageNotStarted) {  // only if the first was not taken
                send_sipi(c);
                udelay(opts.sipi_delay_us);
            }""", "")])

mutant("lapic_before_mode", breaks=["parallel_4cpus", "apic_id_256"],
       what="lapic_init() first, before this CPU chose its APIC mode: it does nothing, the LAPIC stays off",
       edits=[edit(SMP, """    lapic_enable_mode();
    c->boot_stage = StageLapic;
""", """    lapic_init();
    lapic_enable_mode();
    c->boot_stage = StageLapic;
"""), edit(SMP, """    // Requires: our mode. Spurious and error vectors, LINTs, TPR from our runlevel.
    lapic_init();
""", "")])

mutant("no_cr4", breaks=["parallel_4cpus"],
       what="the start block without CR4: the amd64 AP enables paging in long mode without PAE",
       edits=[edit(SMP, "        sb->cr4 = (uint32_t)read_cr4();\n", "")])

mutant("no_efer", breaks=["parallel_4cpus", "sequential_4cpus"],
       what="the start block without EFER: the amd64 AP never enters long mode",
       edits=[edit(SMP, "        sb->efer = (uint32_t)(rdmsr(MSR_EFER) & (EFER_LME | EFER_NXE | EFER_SCE));\n", "")])

mutant("sipi_vector_address", breaks=["parallel_4cpus", "apic_gaps_i686"],
       what="the SIPI vector from the wrong bits of the trampoline address",
       edits=[edit(SMP, "vector_page = (uint8_t)(tramp >> 12);", "vector_page = (uint8_t)(tramp >> 8);")])

mutant("checkin_raw_apic_id", breaks=["parallel_4cpus", "apic_gaps_i686"],
       what="the check-in reads the xAPIC ID register raw (the id is in bits 31:24)",
       edits=[edit(SMP, "cpu_checkins[c->id] = CpuCheckin{cpu_number(), lapic_id()};",
                   "cpu_checkins[c->id] = CpuCheckin{cpu_number(), lapic_read(LapicReg::Id)};")])

mutant("checkin_bsp_id", breaks=["parallel_4cpus"],
       what="the check-in records the boot CPU's APIC id, read once and cached",
       edits=[edit(SMP, "cpu_checkins[c->id] = CpuCheckin{cpu_number(), lapic_id()};",
                   "cpu_checkins[c->id] = CpuCheckin{cpu_number(), cpus[0].apic_id};")])

mutant("never_online", breaks=["parallel_4cpus", "maxcpus"],
       what="the check-in forgets the online bit: the BSP times out on every AP",
       edits=[edit(SMP, "    announce_online(*c);\n", "")])

mutant("online_first", breaks=["online_last"],
       what="the online flag raised first, then the mask bit and the stage: the boot CPU may count too few",
       edits=[hole(SMP, "check in (kernel id", """\
    announce_online(*c);
    cpu_checkins[c->id] = CpuCheckin{cpu_number(), lapic_id()};
    cpu_online_mask.set(c->id);
    c->boot_stage = StageOnline;
""")])

variant("setup_tables_first", what="TSS and features first, then the APIC mode, the id check and the LAPIC",
        edits=[hole(SMP, "lapic_init(), arch_cpu_load()", """\
    arch_cpu_load(*c);
    cpu_probe_features(*c);
    lapic_enable_mode();
    c->boot_stage = StageLapic;
    if (lapic_id() != c->apic_id)
        log_warn("cpu %u: its LAPIC says apic id %u, the table says %u", c->id, lapic_id(), c->apic_id);
    lapic_init();
""")])

variant("parallel_one_pass", what="a parallel loop that re-sends, then waits, in one pass with a flag; "
        "the wait counted from the latest INIT it finds",
        edits=[hole(SMP, "INIT to every target", """\
        for (Cpu** t = targets; t != targets + started; ++t) send_init(**t);
"""),
               hole(SMP, "what is left of the INIT wait", """\
        uint64_t last = 0;
        for (Cpu** t = targets; t != targets + started; ++t) last = (*t)->init_tsc > last ? (*t)->init_tsc : last;
        udelay_since(last, opts.init_delay_us);
        for (Cpu** t = targets; t != targets + started; ++t) send_sipi(**t);
        udelay(opts.sipi_delay_us);
        bool again = false;
        for (Cpu** t = targets; t != targets + started; ++t) {
            if ((*t)->boot_stage != StageNotStarted) continue;
            send_sipi(**t);
            again = true;
        }
        if (again) udelay(opts.sipi_delay_us);
""")])

variant("full_init_wait", what="the whole INIT wait again in smp_boot(), not only what is left of it (slower, right)",
        edits=[edit(SMP, "        udelay_since(targets[started - 1]->init_tsc, opts.init_delay_us);",
                    "        udelay(opts.init_delay_us);")])

variant("checkin_mask_first", what="check-in through a local, the mask bit, the stage, then the online flag",
        edits=[hole(SMP, "check in (kernel id", """\
    CpuCheckin mine{};
    mine.kid = cpu_number();
    mine.apic = lapic_id();
    cpu_checkins[c->id] = mine;
    cpu_online_mask.set(c->id);
    c->boot_stage = StageOnline;
    announce_online(*c);
""")])

mutant("no_idt", breaks=["ap_idt"],
       what="the start block's IDT left empty (limit and base 0): nothing interrupts an AP in this tree until "
            "its first exception, which then resets the machine",
       edits=[edit(SMP, """        IdtPointer idtr = read_idtr();
        sb->idt_limit = idtr.limit;
        sb->idt_base = idtr.base;
""", "")])

mutant("stage_before_mode", breaks=["parallel_4cpus", "sequential_4cpus"],
       what="boot_stage = StageLapic before lapic_enable_mode(): an AP stopped in the switch is reported as past it",
       edits=[edit(SMP, """    lapic_enable_mode();
    c->boot_stage = StageLapic;
""", """    c->boot_stage = StageLapic;
    lapic_enable_mode();
""")])

mutant("no_id_check", breaks=["apic_id_check"],
       what="no check of the LAPIC's id against the table: a disagreement goes unsaid",
       edits=[edit(SMP, """    uint32_t id = lapic_id();
    if (id != c->apic_id) report_id_mismatch(*c, id);
""", "")])

mutant("id_check_after_init", breaks=["apic_id_check"],
       what="the id check after lapic_init(), which has stored lapic_id() in c->apic_id: it compares the id with itself",
       edits=[edit(SMP, """    uint32_t id = lapic_id();
    if (id != c->apic_id) report_id_mismatch(*c, id);
""", ""),
              edit(SMP, """    lapic_init();
""", """    lapic_init();
    uint32_t id = lapic_id();
    if (id != c->apic_id) report_id_mismatch(*c, id);
""")])
