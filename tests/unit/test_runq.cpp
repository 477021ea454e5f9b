// Run queues: FIFO per priority, removal, the lock order for stealing, and
// threads standing in for CPUs that enqueue, run and steal at once without a
// thread ever being lost, duplicated or run where its affinity forbids.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>
#include "host_log.h"
#include "runq.h"

namespace {

auto yield = [](uint32_t) { std::this_thread::yield(); };

// A stand-in for a thread: the node first, so a RunqNode* is a Task*.
struct Task {
    RunqNode node;
    uint32_t affinity = ~0u;  // bit c: may run on CPU c
    uint32_t id = 0;
    uint32_t runs = 0;
    uint32_t running = 0;
};
Task* task(RunqNode* n) { return reinterpret_cast<Task*>(n); }

bool allowed(const RunqNode* n, uint32_t cpu, void*) {
    return (reinterpret_cast<const Task*>(n)->affinity >> cpu) & 1;
}

std::vector<uint32_t> drain_ids(RunQueue& q) {
    std::vector<uint32_t> ids;
    while (RunqNode* n = runq_dequeue(q)) ids.push_back(task(n)->id);
    return ids;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runq)

BOOST_AUTO_TEST_CASE(fifo_by_priority) {
    RunQueue q(0);
    std::vector<Task> t(8);
    const uint8_t prio[8] = {1, 5, 1, 7, 5, 0, 7, 1};
    for (uint32_t i = 0; i < 8; ++i) {
        t[i].id = i;
        t[i].node.prio = prio[i];
        BOOST_TEST(runq_enqueue(q, &t[i].node));
    }
    BOOST_TEST(runq_count(q) == 8u);
    BOOST_TEST(q.nonempty == ((1u << 0) | (1u << 1) | (1u << 5) | (1u << 7)));
    std::vector<uint32_t> expect = {3, 6, 1, 4, 0, 2, 7, 5};
    BOOST_TEST(drain_ids(q) == expect, boost::test_tools::per_element());
    BOOST_TEST(runq_count(q) == 0u);
    BOOST_TEST(q.nonempty == 0u);
    BOOST_TEST(runq_dequeue(q) == nullptr);
    for (Task& x : t) BOOST_TEST(x.node.queue == nullptr);
}

BOOST_AUTO_TEST_CASE(remove_anywhere) {
    RunQueue q(1), other(2);
    std::vector<Task> t(5);
    for (uint32_t i = 0; i < 5; ++i) {
        t[i].id = i;
        t[i].node.prio = 3;
        runq_enqueue(q, &t[i].node);
    }
    BOOST_TEST(!runq_remove(other, &t[2].node));  // not on that queue
    BOOST_TEST(runq_remove(q, &t[2].node));        // middle
    BOOST_TEST(runq_remove(q, &t[0].node));        // head
    BOOST_TEST(runq_remove(q, &t[4].node));        // tail
    BOOST_TEST(!runq_remove(q, &t[4].node));       // already gone
    BOOST_TEST(runq_count(q) == 2u);
    std::vector<uint32_t> expect = {1, 3};
    BOOST_TEST(drain_ids(q) == expect, boost::test_tools::per_element());
    BOOST_TEST(runq_remove(q, &t[1].node) == false);
    runq_enqueue(q, &t[1].node);
    BOOST_TEST(runq_remove(q, &t[1].node));
    BOOST_TEST(q.nonempty == 0u);
}

BOOST_AUTO_TEST_CASE(refuses_a_node_queued_twice) {
    clear_log();
    RunQueue a(0), b(3);
    Task t;
    BOOST_TEST(runq_enqueue(a, &t.node));
    BOOST_TEST(!runq_enqueue(b, &t.node));
    BOOST_TEST(!runq_enqueue(a, &t.node));
    BOOST_TEST(log_count("is already on cpu0's queue; not queued on cpu3") == 1u);
    BOOST_TEST(log_count("is already on cpu0's queue; not queued on cpu0") == 1u);
    BOOST_TEST(runq_count(a) == 1u);
    BOOST_TEST(runq_count(b) == 0u);
    BOOST_TEST(t.node.queue == &a);
}

BOOST_AUTO_TEST_CASE(clamps_priority) {
    clear_log();
    RunQueue q(0);
    Task hi, lo;
    hi.node.prio = 200;
    lo.node.prio = 6;
    runq_enqueue(q, &lo.node);
    runq_enqueue(q, &hi.node);
    BOOST_TEST(log_contains("WARN: runq: priority 200 is above 7; queued at 7"));
    BOOST_TEST(hi.node.prio == runq_levels - 1);
    BOOST_TEST(runq_dequeue(q) == &hi.node);
}

BOOST_AUTO_TEST_CASE(take_for_honours_affinity) {
    RunQueue q(0);
    std::vector<Task> t(6);
    const uint8_t prio[6] = {2, 2, 6, 6, 2, 0};
    const uint32_t aff[6] = {0x3, 0x1, 0x1, 0x2, 0x2, 0xF};
    for (uint32_t i = 0; i < 6; ++i) {
        t[i].id = i;
        t[i].node.prio = prio[i];
        t[i].affinity = aff[i];
        runq_enqueue(q, &t[i].node);
    }
    // For CPU 1: highest priority first, the last queued first within it.
    BOOST_TEST(task(runq_take_for(q, 1, allowed, nullptr))->id == 3u);
    BOOST_TEST(task(runq_take_for(q, 1, allowed, nullptr))->id == 4u);
    BOOST_TEST(task(runq_take_for(q, 1, allowed, nullptr))->id == 0u);
    BOOST_TEST(task(runq_take_for(q, 1, allowed, nullptr))->id == 5u);
    BOOST_TEST(runq_take_for(q, 1, allowed, nullptr) == nullptr);  // 1 and 2 are pinned to CPU 0
    BOOST_TEST(runq_take_for(q, 7, allowed, nullptr) == nullptr);
    BOOST_TEST(runq_count(q) == 2u);
    BOOST_TEST(task(runq_take_for(q, 5, nullptr, nullptr))->id == 2u);  // no filter: anything
    std::vector<uint32_t> expect = {1};
    BOOST_TEST(drain_ids(q) == expect, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(busiest_queue) {
    RunQueue q0(0), q1(1), q2(2), q3(3);
    RunQueue* all[4] = {&q0, &q1, &q2, &q3};
    BOOST_TEST(runq_busiest(all, 4, &q0) == nullptr);
    std::vector<Task> t(7);
    for (int i = 0; i < 3; ++i) runq_enqueue(q1, &t[i].node);
    for (int i = 3; i < 6; ++i) runq_enqueue(q3, &t[i].node);
    runq_enqueue(q0, &t[6].node);
    BOOST_TEST(runq_busiest(all, 4, &q0) == &q1);  // tie: lower index
    BOOST_TEST(runq_busiest(all, 4, &q1) == &q3);
    BOOST_TEST(runq_busiest(all, 4, nullptr) == &q1);

    // Stealing moves one node, counts it on both sides, and keeps FIFO links sound.
    RunqNode* n = runq_steal_busiest(all, 4, q2, allowed, nullptr, yield);
    BOOST_TEST(n == &t[2].node);
    BOOST_TEST(n->queue == &q2);
    BOOST_TEST(runq_count(q1) == 2u);
    BOOST_TEST(runq_count(q2) == 1u);
    BOOST_TEST(q1.stolen_from == 1u);
    BOOST_TEST(q2.stolen_to == 1u);
    BOOST_TEST(runq_steal(q2, q2, allowed, nullptr, yield) == nullptr);
}

BOOST_AUTO_TEST_CASE(steal_skips_a_busiest_queue_of_pinned_nodes) {
    RunQueue q0(0), q1(1), q2(2);
    RunQueue* all[3] = {&q0, &q1, &q2};
    std::vector<Task> t(4);
    for (int i = 0; i < 3; ++i) {
        t[i].affinity = 0x1;  // pinned to CPU 0
        runq_enqueue(q0, &t[i].node);
    }
    runq_enqueue(q1, &t[3].node);
    BOOST_TEST(runq_steal_busiest(all, 3, q2, allowed, nullptr, yield) == &t[3].node);
    BOOST_TEST(runq_steal_busiest(all, 3, q2, allowed, nullptr, yield) == nullptr);
    BOOST_TEST(runq_count(q0) == 3u);
}

BOOST_AUTO_TEST_CASE(locks_lower_cpu_first) {
    // Hold CPU 5's lock, let a thread lock (5, 2): it must hold 2 while it
    // waits for 5. Had it started with 5, 2 would still be free.
    RunQueue q2(2), q5(5);
    runq_lock(q5, yield);
    bool back = false;  // runq_lock_two() returned without waiting for 5: it never took that lock
    std::thread t([&] {
        runq_lock_two(q5, q2, yield);
        __atomic_store_n(&back, true, __ATOMIC_RELEASE);
        runq_unlock_two(q5, q2);
    });
    while (__atomic_load_n(&q5.lock.ticket.next, __ATOMIC_RELAXED) != 2 && !__atomic_load_n(&back, __ATOMIC_ACQUIRE))
        std::this_thread::yield();
    BOOST_TEST(!__atomic_load_n(&back, __ATOMIC_ACQUIRE));
    BOOST_TEST(policy_locked(q2.lock));
    runq_unlock(q5);
    t.join();
    BOOST_TEST(!policy_locked(q2.lock));
    BOOST_TEST(!policy_locked(q5.lock));
}

BOOST_AUTO_TEST_CASE(hooks_name_the_holder_and_a_relock) {
    // The kernel's hooks panic; these record, so the test can look.
    static thread_local uint32_t me = 0;
    static uint32_t relocked_by, relocked_q, waited_for, waited_holder;
    relocked_by = relocked_q = waited_for = waited_holder = runq_nobody;
    RunqHooks saved = runq_hooks;
    runq_hooks.self = [] { return me; };
    runq_hooks.relock = [](const RunQueue& q, uint32_t who) { relocked_by = who, relocked_q = q.cpu; };
    runq_hooks.waiting = [](const RunQueue& q, uint32_t, RunqWait& w) {
        if (++w.looks == 3) waited_for = q.cpu, waited_holder = q.holder;
    };
    RunQueue q3(3);
    me = 7;
    runq_lock(q3, yield);
    BOOST_TEST(q3.holder == 7u);
    std::thread t([&] {
        me = 9;
        runq_lock(q3, yield);  // waits for "cpu" 7: the hook sees who holds it
        runq_unlock(q3);
    });
    while (__atomic_load_n(&waited_for, __ATOMIC_RELAXED) == runq_nobody) std::this_thread::yield();
    BOOST_TEST(waited_for == 3u);
    BOOST_TEST(waited_holder == 7u);
    BOOST_TEST(relocked_by == runq_nobody);
    runq_unlock(q3);
    t.join();
    BOOST_TEST(q3.holder == runq_nobody);
    // Taking a queue one already holds is reported before the wait that could never end.
    runq_lock(q3, yield);
    runq_hooks.waiting = nullptr;
    std::thread again([&] {
        me = 7;  // the same "cpu" from another host thread: it would wait for itself
        runq_lock(q3, yield);
        runq_unlock(q3);
    });
    while (__atomic_load_n(&relocked_by, __ATOMIC_RELAXED) == runq_nobody) std::this_thread::yield();
    BOOST_TEST(relocked_by == 7u);
    BOOST_TEST(relocked_q == 3u);
    runq_unlock(q3);
    again.join();
    runq_hooks = saved;
}

BOOST_AUTO_TEST_CASE(concurrent_enqueue_run_and_steal) {
    // Four CPUs. Every CPU creates its share of tasks and places them on CPU
    // 0's queue (or the first CPU their affinity allows), as a spawner would;
    // each task runs three times, re-queued after each run on the CPU that
    // ran it. Idle CPUs steal. Every task must run exactly three times, only
    // on CPUs its affinity allows, and never on two CPUs at once.
    constexpr uint32_t cpus = 4, tasks = 4000, runs_each = 3;
    {  // without a working queue the threads below would spin for a minute
        RunQueue probe(0);
        Task x;
        runq_enqueue(probe, &x.node);
        BOOST_TEST_REQUIRE(runq_dequeue(probe) == &x.node);
    }
    std::vector<std::unique_ptr<RunQueue>> q;
    for (uint32_t c = 0; c < cpus; ++c) q.push_back(std::make_unique<RunQueue>(c));
    RunQueue* all[cpus] = {q[0].get(), q[1].get(), q[2].get(), q[3].get()};
    std::vector<Task> t(tasks);
    const uint32_t masks[4] = {0xF, 0x1, 0x6, 0x8};  // anywhere; pinned to 0; 1 or 2; pinned to 3
    for (uint32_t i = 0; i < tasks; ++i) {
        t[i].id = i;
        t[i].affinity = masks[i % 4];
        t[i].node.prio = static_cast<uint8_t>(i % runq_levels);
    }
    uint32_t done = 0, overlaps = 0, misplaced = 0, stolen = 0;
    auto cpu = [&](uint32_t c) {
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        for (uint32_t i = c; i < tasks; i += cpus) {
            RunQueue& home = *all[__builtin_ctz(t[i].affinity)];
            runq_lock(home, yield);
            runq_enqueue(home, &t[i].node);
            runq_unlock(home);
        }
        while (__atomic_load_n(&done, __ATOMIC_RELAXED) < tasks * runs_each &&
               std::chrono::steady_clock::now() < end) {
            runq_lock(*all[c], yield);
            RunqNode* n = runq_dequeue(*all[c]);
            runq_unlock(*all[c]);
            if (!n) {
                if (runq_steal_busiest(all, cpus, *all[c], allowed, nullptr, yield))
                    __atomic_fetch_add(&stolen, 1u, __ATOMIC_RELAXED);
                else
                    std::this_thread::yield();
                continue;
            }
            Task* k = task(n);
            if (__atomic_exchange_n(&k->running, 1u, __ATOMIC_ACQUIRE)) __atomic_fetch_add(&overlaps, 1u, __ATOMIC_RELAXED);
            if (!((k->affinity >> c) & 1)) __atomic_fetch_add(&misplaced, 1u, __ATOMIC_RELAXED);
            uint32_t r = __atomic_add_fetch(&k->runs, 1u, __ATOMIC_RELAXED);
            if (k->id % 16 == 0) std::this_thread::yield();  // a longer run now and then
            __atomic_store_n(&k->running, 0u, __ATOMIC_RELEASE);
            if (r < runs_each) {
                runq_lock(*all[c], yield);
                runq_enqueue(*all[c], n);
                runq_unlock(*all[c]);
            }
            __atomic_fetch_add(&done, 1u, __ATOMIC_RELAXED);
        }
    };
    std::vector<std::thread> ts;
    for (uint32_t c = 0; c < cpus; ++c) ts.emplace_back(cpu, c);
    for (auto& th : ts) th.join();

    BOOST_TEST(done == tasks * runs_each);
    BOOST_TEST(overlaps == 0u);
    BOOST_TEST(misplaced == 0u);
    size_t wrong_runs = 0, still_queued = 0;
    for (Task& k : t) {
        wrong_runs += k.runs != runs_each;
        still_queued += k.node.queue != nullptr;
    }
    BOOST_TEST(wrong_runs == 0u);
    BOOST_TEST(still_queued == 0u);
    uint64_t from = 0, to = 0;
    for (RunQueue* x : all) {
        BOOST_TEST(runq_count(*x) == 0u);
        BOOST_TEST(!policy_locked(x->lock));
        from += x->stolen_from;
        to += x->stolen_to;
    }
    BOOST_TEST(stolen > 0u);
    BOOST_TEST(from == stolen);
    BOOST_TEST(to == stolen);
}

BOOST_AUTO_TEST_SUITE_END()
