"""Lab 08: wrong solutions the grader must catch, and right ones it must pass (tools/lab-ci mutants 08)."""
from labgrade import edit, hole, mutant, variant

PROC, IPI, HOT = "src/proc.cpp", "src/ipi.cpp", "src/hotplug.cpp"
DIE = """    drained_on_exit[c->id] = ipi_cpu_leave();
    c->online = 0;
"""

mutant("pinned_thread_moved_silently", breaks=["refuses_pinned_thread"],
       what="finds no pinned thread: the offline goes ahead and the thread's affinity is broken with a warning",
       edits=[hole(HOT, "a live thread", "    (void)t;\n    (void)s;\n")])
mutant("pinned_by_its_whole_mask", breaks=["refuses_pinned_thread"],
       what="calls a thread pinned only when its affinity holds no other CPU at all: a thread allowed on the "
            "leaving CPU and on CPUs that are not online still counts as movable",
       edits=[edit(HOT, "if (k != s.cpu && t.affinity.test(k) && sched_cpu_leave_state(k) == LeaveNo) return;",
                   "if (k != s.cpu && t.affinity.test(k) && sched_cpu_leave_state(k) == LeaveNo) return;\n"
                   "    for (uint32_t k = 0; k < COHORT_MAX_CPUS; ++k)\n"
                   "        if (k != s.cpu && t.affinity.test(k)) return;")])
mutant("queue_not_emptied", breaks=["no_thread_lost"],
       what="closes the run queue but leaves the threads queued there: the CPU finds them on its way out",
       edits=[hole(PROC, "close the queue", """    uintptr_t f = read_flags();
    cli();
    runq_lock(p.rq, spin);
    p.leaving = LeaveAsked;
    runq_unlock(p.rq);
    write_flags(f);
    if (cpu != cpu_number()) ipi_send(cpu, vec::reschedule);
""")])
mutant("mailbox_not_drained", breaks=["requests_answered"],
       what="leaves the mask but does not answer what was posted before: its senders wait for ever",
       edits=[edit(IPI, "    drained += (uint32_t)callq_drain(own);  // the requests posted before: answered, none left behind\n",
                   "")])
mutant("mask_left_after_parking", breaks=["requests_answered"],
       what="says \"parked\" first and leaves the mask afterwards: the INIT comes while requests are still "
            "being posted to it",
       edits=[hole(HOT, "leave the mask and answer the mailbox", """    __atomic_store_n(&c->claim, (uint32_t)ClaimParked, __ATOMIC_RELEASE);
    drained_on_exit[c->id] = ipi_cpu_leave();
    c->online = 0;
    halt_forever();
""")])
mutant("mask_never_left", breaks=["requests_answered"],
       what="drains the mailbox but never clears its bit in cpu_online_mask: calls keep counting a parked CPU",
       edits=[edit(IPI, "    cpu_online_mask.clear(me);  // from here no call counts this CPU\n", "")])
mutant("online_flag_kept", breaks=["offline_then_online", "cycles_4cpus"],
       what="parks without clearing Cpu::online: the CPU can never be brought back (\"already online\")",
       edits=[edit(HOT, DIE, "    drained_on_exit[c->id] = ipi_cpu_leave();\n")])

variant("threads_collected_in_order", what="takes the queued threads off in queue order (a tail pointer), "
        "moves them after the unlock, and sends the IPI by ipi_reschedule()",
        edits=[hole(PROC, "close the queue", """    uintptr_t f = read_flags();
    cli();
    RunqNode* first = nullptr;
    RunqNode* last = nullptr;
    runq_lock(p.rq, spin);
    p.leaving = LeaveAsked;
    for (RunqNode* n = runq_dequeue(p.rq); n; n = runq_dequeue(p.rq)) {
        n->next = nullptr;
        if (last) last->next = n;
        else first = n;
        last = n;
    }
    runq_unlock(p.rq);
    for (RunqNode* n = first; n;) {
        RunqNode* after = n->next;
        n->next = nullptr;
        enqueue(of(n), fallback_cpu(of(n)));
        ++moved;
        n = after;
    }
    write_flags(f);
    ipi_reschedule(cpu);
""")])
variant("pinned_by_counting", what="counts the other online CPUs that stay and may run the thread",
        edits=[hole(HOT, "a live thread", """    if (t.is_idle || t.state == ThreadState::Dead || t.exited) return;
    if (!t.affinity.test(s.cpu)) return;
    uint32_t elsewhere = 0;
    for_each_cpu(k, cpu_online_mask)
        elsewhere += k != s.cpu && t.affinity.test(k) && sched_cpu_leave_state(k) == LeaveNo;
    if (elsewhere) return;
    if (s.count == 0) {
        memcpy(s.first, t.name, sizeof s.first - 1);
        s.first[sizeof s.first - 1] = 0;
        s.first_tid = t.tid;
    }
    ++s.count;
""")])
