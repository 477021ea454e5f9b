// Run queues under real threads, more of them than the host has cores: CPUs
// that steal from each other in both directions at once (a lock order that
// depends on who steals deadlocks here, and the test reports it instead of
// hanging), and a pile of work on one queue that the others must steal.
#include <boost/test/unit_test.hpp>
#include <atomic>
#include <chrono>
#include <deque>
#include <thread>
#include <vector>
#include "runq.h"

namespace {

struct Task {
    RunqNode node;  // first: a RunqNode* is a Task*
    uint32_t id = 0;
    std::atomic<uint32_t> runs{0};
};
Task* task(RunqNode* n) { return reinterpret_cast<Task*>(n); }

/// Watch @p progress; false when it stood still for @p stall (a deadlock),
/// true when @p done says the threads finished.
template <typename Done>
bool watch(const std::atomic<uint64_t>& progress, Done&& done, std::chrono::seconds stall) {
    uint64_t last = progress.load();
    auto since = std::chrono::steady_clock::now();
    while (!done()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        uint64_t now = progress.load();
        if (now != last) {
            last = now;
            since = std::chrono::steady_clock::now();
        } else if (std::chrono::steady_clock::now() - since > stall) {
            return false;
        }
    }
    return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(lab07_runq)

BOOST_AUTO_TEST_CASE(lower_id_first_whichever_argument) {
    // Hold the higher queue's lock and let a thread lock the pair, named
    // either way round: it must get the lower one and then wait. An order
    // that follows the arguments gets the lower one only one way round.
    for (int way = 0; way < 2; ++way) {
        RunQueue lo(2), hi(5);
        runq_lock(hi, [](uint32_t) { std::this_thread::yield(); });
        std::atomic<bool> back{false};
        std::thread t([&] {
            auto spin = [](uint32_t) { std::this_thread::yield(); };
            if (way == 0) runq_lock_two(lo, hi, spin);
            else runq_lock_two(hi, lo, spin);
            back = true;
            runq_unlock_two(lo, hi);
        });
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        // The thread's ticket on cpu 5's lock shows that it waits there; by then
        // the right order already holds cpu 2's.
        while (__atomic_load_n(&hi.lock.ticket.next, __ATOMIC_ACQUIRE) != 2 && !back && std::chrono::steady_clock::now() < until)
            std::this_thread::yield();
        BOOST_TEST(policy_locked(lo.lock), "runq_lock_two(" << (way ? "hi, lo" : "lo, hi")
                                                            << ") did not take cpu 2's lock before waiting for cpu 5's");
        BOOST_TEST(!back);
        runq_unlock(hi);
        t.join();
        BOOST_TEST(!policy_locked(lo.lock));
        BOOST_TEST(!policy_locked(hi.lock));
    }
}

BOOST_AUTO_TEST_CASE(steal_both_ways_without_deadlock) {
    // Eight threads, eight queues; each repeatedly steals from the next and
    // from the previous queue, so every pair of queues is locked both ways
    // round at once. With one global order this finishes; with an order that
    // depends on which queue is the thief's, two threads end up each holding
    // the lock the other waits for. The state is leaked on purpose: a
    // deadlocked thread keeps spinning on it until the process ends.
    constexpr uint32_t cpus = 8, per_queue = 64, rounds = 4000;
    auto* q = new std::deque<RunQueue>();
    for (uint32_t c = 0; c < cpus; ++c) q->emplace_back(c);
    auto* tasks = new std::vector<Task>(cpus * per_queue);
    for (uint32_t i = 0; i < tasks->size(); ++i) {
        (*tasks)[i].id = i;
        runq_enqueue((*q)[i / per_queue], &(*tasks)[i].node);
    }
    size_t queued0 = 0;
    for (RunQueue& x : *q) queued0 += runq_count(x);
    BOOST_TEST_REQUIRE(queued0 == tasks->size());  // the queues work at all
    auto* progress = new std::atomic<uint64_t>(0);
    auto* finished = new std::atomic<uint32_t>(0);
    auto spin = [](uint32_t) { std::this_thread::yield(); };
    for (uint32_t c = 0; c < cpus; ++c) {
        std::thread([=] {
            RunQueue& me = (*q)[c];
            for (uint32_t r = 0; r < rounds; ++r) {
                RunQueue& victim = (*q)[(c + (r % 2 ? 1 : cpus - 1)) % cpus];
                runq_lock_two(me, victim, spin);  // the thief names itself first
                runq_unlock_two(me, victim);
                runq_steal(victim, me, nullptr, nullptr, spin);  // and second, through runq_steal()
                progress->fetch_add(1);
            }
            finished->fetch_add(1);
        }).detach();
    }
    bool ok = watch(*progress, [&] { return finished->load() == cpus; }, std::chrono::seconds(10));
    BOOST_TEST_REQUIRE(ok, "deadlock: no thread took a pair of queue locks for 10 s ("
                               << progress->load() << " of " << cpus * rounds << " steals done)");
    size_t queued = 0;
    for (RunQueue& x : *q) {
        queued += runq_count(x);
        BOOST_TEST(!policy_locked(x.lock));
    }
    BOOST_TEST(queued == tasks->size());  // nothing lost or duplicated by the moves
    delete finished;
    delete progress;
    delete tasks;
    delete q;
}

BOOST_AUTO_TEST_CASE(idle_cpus_steal_a_pile) {
    // All the work starts on queue 0; six threads (CPUs) run their own queue
    // and steal from the busiest when it is empty. Every task runs exactly
    // once, the others really took work, and the steals are counted.
    constexpr uint32_t cpus = 6, ntasks = 3000;
    std::deque<RunQueue> q;
    for (uint32_t c = 0; c < cpus; ++c) q.emplace_back(c);
    RunQueue* all[cpus];
    for (uint32_t c = 0; c < cpus; ++c) all[c] = &q[c];
    std::vector<Task> t(ntasks);
    for (uint32_t i = 0; i < ntasks; ++i) {
        t[i].id = i;
        t[i].node.prio = static_cast<uint8_t>(i % runq_levels);
        runq_enqueue(q[0], &t[i].node);
    }
    BOOST_TEST_REQUIRE(runq_count(q[0]) == ntasks);  // the queues work at all
    std::atomic<uint64_t> progress{0};
    std::atomic<uint32_t> finished{0};
    std::vector<uint32_t> ran(cpus, 0), stolen(cpus, 0);
    auto spin = [](uint32_t) { std::this_thread::yield(); };
    std::vector<std::thread> th;
    for (uint32_t c = 0; c < cpus; ++c) {
        th.emplace_back([&, c] {
            auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
            while (progress.load() < ntasks && std::chrono::steady_clock::now() < end) {
                runq_lock(q[c], spin);
                RunqNode* n = runq_dequeue(q[c]);
                runq_unlock(q[c]);
                if (!n) {
                    if (runq_steal_busiest(all, cpus, q[c], nullptr, nullptr, spin)) ++stolen[c];
                    else std::this_thread::yield();
                    continue;
                }
                task(n)->runs.fetch_add(1);
                ++ran[c];
                std::this_thread::yield();  // a run takes a while: the others get to steal
                progress.fetch_add(1);
            }
            finished.fetch_add(1);
        });
    }
    for (auto& x : th) x.join();
    size_t wrong = 0, elsewhere = 0, steals = 0;
    for (Task& x : t) wrong += x.runs.load() != 1;
    for (uint32_t c = 1; c < cpus; ++c) elsewhere += ran[c];
    for (uint32_t c = 0; c < cpus; ++c) steals += stolen[c];
    BOOST_TEST(wrong == 0u);
    BOOST_TEST(elsewhere > 0u);
    BOOST_TEST(steals > 0u);
    uint64_t from = 0, to = 0;
    for (RunQueue& x : q) {
        from += x.stolen_from;
        to += x.stolen_to;
        BOOST_TEST(runq_count(x) == 0u);
    }
    BOOST_TEST(from == steals);
    BOOST_TEST(to == steals);
}

BOOST_AUTO_TEST_SUITE_END()
