"""Lab 06: wrong solutions the grader must catch, and right ones it must pass (tools/lab-ci mutants 06)."""
from labgrade import edit, hole, mutant, variant

IPI = "src/ipi.cpp"
SHOOT = "return call(all, flush_fn, &f, true, vec::tlb_shootdown, \"tlb shootdown\");"
SHOOTDOWN_TESTS = ["shootdown_2cpus", "shootdown_8cpus"]

mutant("shootdown_skips_initiator", breaks=SHOOTDOWN_TESTS,
       what="the shootdown IPIs the others only, as if the initiator's own INVLPG had been enough: it keeps the "
            "stale translation when another CPU changed the page table",
       edits=[hole(IPI, "run flush_fn on every target", """    FlushRange f{va, pages};
    CpuMask others = targets;
    others.clear(cpu_number());
    return call(others, flush_fn, &f, true, vec::tlb_shootdown, "tlb shootdown");
""")])
mutant("shootdown_only_named_cpus", breaks=SHOOTDOWN_TESTS,
       what="flushes exactly the targets: the initiator only when the caller named it",
       edits=[edit(IPI, "    all.set(cpu_number());  // the initiator flushes too\n", "")])
mutant("shootdown_does_not_wait", breaks=SHOOTDOWN_TESTS,
       what="returns once the IPIs are sent, before the targets have flushed",
       edits=[edit(IPI, SHOOT, "return call(all, flush_fn, &f, false, vec::tlb_shootdown, \"tlb shootdown\");")])
mutant("flush_does_nothing", breaks=SHOOTDOWN_TESTS, what="flush_fn() returns without invalidating",
       edits=[hole(IPI, "drop this CPU's translations", "    (void)f;\n")])
# Not graded: INVLPG of the first page only. QEMU's TCG flushes its whole TLB
# on an INVLPG that falls in the span of the large pages a CPU has used (the
# identity map's 2 MiB pages cover everything here), so the other pages are
# dropped too: it kept full points in one run of two.
mutant("eoi_only_after_work", breaks=["callfunc_2cpus"],
       what="sends the EOI only when the drain ran something: an IPI whose request a waiter already took "
            "leaves its vector in service, and the CPU takes no more call-function IPIs",
       edits=[hole(IPI, "acknowledge the interrupt", "    if (callq_drain(mailboxes[cpu_number()])) lapic_eoi();\n")])
mutant("eoi_after_drain", breaks=["request_interruptible_2cpus"],
       what="drains first, EOI last: nothing is lost, but request functions run with the call vector in service, "
            "so one that turns interrupts on cannot be interrupted by class 14 or below",
       edits=[hole(IPI, "acknowledge the interrupt", """    callq_drain(mailboxes[cpu_number()]);
    lapic_eoi();
""")])
mutant("post_without_draining", breaks=["mailbox_full_2cpus"],
       what="spins on a full mailbox without serving its own: two CPUs flooding each other deadlock",
       edits=[edit(IPI, """        bool posted = callq_post_retry(mailboxes[k], r, own, [&] {
            cpu_relax();
            return rdtsc() < deadline;
        });""", """        (void)own;
        bool posted = callq_post(mailboxes[k], r);
        while (!posted && rdtsc() < deadline) {
            cpu_relax();
            posted = callq_post(mailboxes[k], r);
        }""")])
mutant("posts_to_itself", breaks=["callfunc_2cpus"],
       what="posts to the caller too, which already runs its share directly: it runs twice",
       edits=[edit(IPI, "if (k == me || !cpu_online_mask.test(k)) continue;", "if (!cpu_online_mask.test(k)) continue;")])
# Not graded: sending the IPI before posting. Under TCG the sender always
# finished posting before the target drained (tried: it kept full points), so
# no boot here can lose the request; the handout's exercise 1 states the order.

variant("initiator_flushes_first", what="the initiator flushes itself, then calls the others and waits",
        edits=[hole(IPI, "run flush_fn on every target", """    FlushRange f{va, pages};
    flush_fn(&f);
    CpuMask others = targets;
    others.clear(cpu_number());
    return call(others, flush_fn, &f, true, vec::tlb_shootdown, "tlb shootdown");
""")])
variant("flush_loop_by_address", what="INVLPG walking addresses up to the end of the range",
        edits=[edit(IPI, "for (size_t i = 0; i < f->pages; ++i) invlpg(f->va + i * 4096);",
                    "for (uintptr_t a = f->va; a < f->va + f->pages * 4096; a += 4096) invlpg(a);")])
variant("post_loop_by_hand", what="a hand-written retry loop that drains the caller's own mailbox",
        edits=[edit(IPI, """        bool posted = callq_post_retry(mailboxes[k], r, own, [&] {
            cpu_relax();
            return rdtsc() < deadline;
        });""", """        bool posted = callq_post(mailboxes[k], r);
        while (!posted && rdtsc() < deadline) {
            callq_drain(own);
            cpu_relax();
            posted = callq_post(mailboxes[k], r);
        }""")])
