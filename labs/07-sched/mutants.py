"""Lab 07: wrong solutions the grader must catch, and right ones it must pass (tools/lab-ci mutants 07)."""
from labgrade import edit, hole, mutant, variant

RUNQ_H, RUNQ, PROC = "src/runq.h", "src/runq.cpp", "src/proc.cpp"
ORDER = "bool a_first = a.cpu != b.cpu ? a.cpu < b.cpu : &a < &b;"
STEAL = "if (!n && runq_steal_nearest(queues, span, p.rq, cpu_steal_level, allowed, nullptr, spin)) {"
TIE = "if (l < best_load || (l == best_load && k == t->last_cpu)) best = k, best_load = l;"

mutant("never_steals", breaks=["steal_2cpus", "steal_4cpus"],
       what="an empty queue means idle: no stealing (creation-time placement hides it in the old tests)",
       edits=[edit(PROC, STEAL, STEAL.replace("!n &&", "!n && false &&"))])
mutant("steals_uncounted", breaks=["steal_4cpus"], what="steals but forgets p.stats.steals",
       edits=[edit(PROC, "        ++p.stats.steals;\n", "")])
mutant("steal_from_online_count", breaks=["steal_after_failed_ap"],
       what="passes the number of online CPUs: with CPU 2 missing, CPU 3's queue is never looked at",
       edits=[edit(PROC, STEAL, "(void)span;\n    " + STEAL.replace("span,", "cpu_online_mask.count(),"))])
mutant("steal_ignores_affinity", breaks=["affinity_4cpus"], what="steals without the affinity filter",
       edits=[edit(PROC, STEAL, "(void)allowed;\n    " + STEAL.replace("allowed,", "nullptr,"))])
mutant("steals_busiest_anywhere", breaks=["steal_nearest_first"],
       what="steals from the busiest queue wherever it is: the sibling's one thread waits while a far node's pile goes first",
       edits=[edit(PROC, STEAL, "if (!n && runq_steal_busiest(queues, span, p.rq, allowed, nullptr, spin)) {")])
mutant("lock_first_argument_first", breaks=["lock_order_unit"],
       what="locks a then b: runq_steal(victim, thief) and a thief naming itself first cross",
       edits=[edit(RUNQ_H, ORDER, "bool a_first = true;")])
mutant("lock_thief_first", breaks=["lock_order_unit"],
       what="locks the thief's queue (runq_steal's second argument) first, then the victim's",
       edits=[edit(RUNQ_H, ORDER, "bool a_first = false;")])
mutant("lowest_priority_first", breaks=["fifo_by_priority_unit"], what="dequeues from the lowest non-empty level",
       edits=[edit(RUNQ, "RunqNode* n = q.level[31 - __builtin_clz(q.nonempty)].head;",
                   "RunqNode* n = q.level[__builtin_ctz(q.nonempty)].head;")])
mutant("lifo_within_priority", breaks=["fifo_by_priority_unit"], what="pushes at the head: a stack per priority",
       edits=[hole(RUNQ, "append n", """    RunqLevel& l = q.level[n->prio];
    n->prev = nullptr;
    n->next = l.head;
    (l.head ? l.head->prev : l.tail) = n;
    l.head = n;
    n->queue = &q;
    q.nonempty |= 1u << n->prio;
    set_count(q, q.count + 1);
""")])
mutant("choose_ignores_affinity", breaks=["affinity_4cpus"], what="places a thread on the least-loaded CPU, allowed or not",
       edits=[edit(PROC, "        if (!t->affinity.test(k)) continue;\n", "")])
mutant("choose_ignores_load", breaks=["placement_4cpus"], what="places a thread on the first CPU it may use",
       edits=[edit(PROC, TIE, "if (best == NO_CPU) best = k, best_load = l;\n        (void)best_load;")])
mutant("ties_go_to_highest_id", breaks=["wake_home_4cpus"], what="<= instead of <: a tie goes to the last CPU looked at",
       edits=[edit(PROC, TIE, "if (l <= best_load) best = k, best_load = l;")])
mutant("ties_ignore_last_cpu", breaks=["wake_home_4cpus"], what="a tie goes to the lowest id, not to the last CPU",
       edits=[edit(PROC, TIE, "if (l < best_load) best = k, best_load = l;")])

variant("lock_two_if_else", what="the order written as two branches",
        edits=[hole(RUNQ_H, "take both locks", """    if (a.cpu < b.cpu || (a.cpu == b.cpu && &a < &b)) {
        runq_lock(a, spin);
        runq_lock(b, spin);
    } else {
        runq_lock(b, spin);
        runq_lock(a, spin);
    }
""")])
variant("dequeue_scan_down", what="the highest level found by a loop instead of the bitmap",
        edits=[hole(RUNQ, "the head of the highest", """    for (uint32_t lv = runq_levels; lv-- > 0;) {
        if (!(q.nonempty & (1u << lv))) continue;
        RunqNode* n = q.level[lv].head;
        unlink(q, n);
        return n;
    }
    return nullptr;
""")])
variant("choose_two_passes", what="the least load first, then the last CPU if it has it, else the lowest id",
        edits=[hole(PROC, "the least-loaded online CPU", """    for_each_cpu(k, cpu_online_mask)
        if (t->affinity.test(k) && load_of(k) < best_load) best_load = load_of(k);
    for_each_cpu(k, cpu_online_mask) {
        if (!t->affinity.test(k) || load_of(k) > best_load) continue;  // loads move meanwhile
        if (best == NO_CPU || k == t->last_cpu) best = k;
    }
    for_each_cpu(k, cpu_online_mask) if (best == NO_CPU && t->affinity.test(k)) best = k;
""")])
