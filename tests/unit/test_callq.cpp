// Call-function mailboxes with host threads standing in for CPUs: every
// request runs exactly once, waiters that drain their own mailbox cannot
// deadlock, and a timeout can name the CPU that did not answer.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>
#include "callq.h"

namespace {

void bump(void* arg) { __atomic_fetch_add(static_cast<uint32_t*>(arg), 1u, __ATOMIC_RELAXED); }

// A spin body that yields, and gives up after @p seconds so a deadlock fails
// the test instead of hanging it.
struct Deadline {
    std::chrono::steady_clock::time_point end;
    explicit Deadline(int seconds) : end(std::chrono::steady_clock::now() + std::chrono::seconds(seconds)) {}
    bool operator()() const {
        std::this_thread::yield();
        return std::chrono::steady_clock::now() < end;
    }
};

// Records the order requests ran in.
struct Log {
    std::vector<int> ran;
    static void add(void* arg);
    int id;
    Log* log;
};
void Log::add(void* arg) {
    auto* e = static_cast<Log*>(arg);
    e->log->ran.push_back(e->id);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(callq)

BOOST_AUTO_TEST_CASE(fifo_and_capacity) {
    auto q = std::make_unique<CallQueue>(3);
    Log log{{}, 0, nullptr};
    std::vector<Log> entries(callq_capacity + 1);
    for (uint32_t i = 0; i < callq_capacity; ++i) {
        entries[i] = Log{{}, int(i), &log};
        BOOST_TEST(callq_post(*q, CallReq{Log::add, &entries[i], nullptr, 0}));
    }
    BOOST_TEST(callq_pending(*q) == callq_capacity);
    BOOST_TEST(!callq_post(*q, CallReq{Log::add, &entries[0], nullptr, 0}));  // full
    BOOST_TEST(callq_drain(*q) == callq_capacity);
    BOOST_TEST(callq_pending(*q) == 0u);
    BOOST_TEST(log.ran.size() == callq_capacity);
    for (uint32_t i = 0; i < log.ran.size(); ++i) BOOST_TEST(log.ran[i] == int(i));
    BOOST_TEST(callq_drain(*q) == 0u);
    // The ring keeps working lap after lap.
    uint32_t count = 0;
    for (int lap = 0; lap < 10; ++lap) {
        for (uint32_t i = 0; i < callq_capacity; ++i) BOOST_TEST(callq_post(*q, CallReq{bump, &count, nullptr, 0}));
        BOOST_TEST(callq_drain(*q) == callq_capacity);
    }
    BOOST_TEST(count == 10 * callq_capacity);
}

BOOST_AUTO_TEST_CASE(acknowledgements) {
    CallQueue q(37);
    CallWait w;
    callwait_init(w, 2);
    uint32_t count = 0;
    BOOST_TEST(callq_post(q, CallReq{bump, &count, &w, 0}));
    BOOST_TEST(!callwait_done(w));
    BOOST_TEST(!callwait_answered(w, 37));
    BOOST_TEST(callq_drain(q) == 1u);
    BOOST_TEST(count == 1u);
    BOOST_TEST(w.pending == 1u);
    BOOST_TEST(callwait_answered(w, 37));
    BOOST_TEST(!callwait_answered(w, 36));
    BOOST_TEST(!callwait_answered(w, 38));
    BOOST_TEST(!callwait_answered(w, callq_max_cpus));

    // ack_on_entry: the sender is released before the function runs.
    CallWait early;
    callwait_init(early, 1);
    struct Seen { CallWait* w; uint32_t pending_inside; } seen{&early, 99};
    auto look = [](void* a) { auto* s = static_cast<Seen*>(a); s->pending_inside = s->w->pending; };
    BOOST_TEST(callq_post(q, CallReq{look, &seen, &early, callflag::ack_on_entry}));
    callq_drain(q);
    BOOST_TEST(seen.pending_inside == 0u);
    BOOST_TEST(callwait_done(early));
    // Without the flag the function runs first.
    callwait_init(early, 1);
    BOOST_TEST(callq_post(q, CallReq{look, &seen, &early, 0}));
    callq_drain(q);
    BOOST_TEST(seen.pending_inside == 1u);
    BOOST_TEST(callwait_done(early));
}

// A sender that halts while it waits (wait.h) is woken by the last target to
// answer, and by no other: a wake-up lost here leaves it asleep until its
// next timer tick, which no other test would notice (the call still returns).
namespace {
uint32_t wakes = 0, woken = 0;
void record_wake(uint32_t cpu) {
    ++wakes;
    woken = cpu;
}
}  // namespace

BOOST_AUTO_TEST_CASE(last_answer_wakes_the_sender_once) {
    for (uint8_t flags : {uint8_t(0), uint8_t(callflag::ack_on_entry)}) {
        std::vector<std::unique_ptr<CallQueue>> q;
        for (uint32_t cpu = 5; cpu < 8; ++cpu) q.push_back(std::make_unique<CallQueue>(cpu));
        CallWait w;
        callwait_init(w, 3, record_wake, 9);
        wakes = woken = 0;
        uint32_t count = 0;
        for (auto& one : q) BOOST_TEST(callq_post(*one, CallReq{bump, &count, &w, flags}));
        BOOST_TEST(callq_drain(*q[1]) == 1u);
        BOOST_TEST(callq_drain(*q[0]) == 1u);
        BOOST_TEST(wakes == 0u);  // two of three answered: the sender sleeps on
        BOOST_TEST(callq_drain(*q[2]) == 1u);
        BOOST_TEST(count == 3u);
        BOOST_TEST(callwait_done(w));
        BOOST_TEST(wakes == 1u);
        BOOST_TEST(woken == 9u);
    }
}

BOOST_AUTO_TEST_CASE(nested_drain_runs_each_request_once) {
    // A request's function drains its own mailbox again, as an interrupt
    // arriving during a call would: later requests run inside it, none twice.
    static CallQueue q(0);
    static uint32_t counts[8];
    static uint32_t nested_ran;
    auto nest = [](void* a) {
        bump(a);
        nested_ran += callq_drain(q);
    };
    BOOST_TEST(callq_post(q, CallReq{nest, &counts[0], nullptr, 0}));
    for (int i = 1; i < 8; ++i) BOOST_TEST(callq_post(q, CallReq{bump, &counts[i], nullptr, 0}));
    BOOST_TEST(callq_drain(q) == 1u);
    BOOST_TEST(nested_ran == 7u);
    for (uint32_t c : counts) BOOST_TEST(c == 1u);
}

BOOST_AUTO_TEST_CASE(many_producers_one_consumer) {
    constexpr int producers = 6;
    constexpr int per_producer = 20000;
    auto target = std::make_unique<CallQueue>(0);
    std::vector<std::unique_ptr<CallQueue>> own;
    for (int p = 0; p < producers; ++p) own.push_back(std::make_unique<CallQueue>(p + 1));
    std::vector<uint32_t> runs(producers * per_producer);
    uint32_t finished = 0;
    uint32_t unnamed = 0;  // synchronous calls whose answer did not name CPU 0

    std::thread consumer([&] {
        Deadline dl(60);
        while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < producers || callq_pending(*target))
            if (callq_drain(*target) == 0 && !dl()) break;
    });
    int gate = 0;  // producers start together, so that they really race for slots
    std::vector<std::thread> ts;
    for (int p = 0; p < producers; ++p)
        ts.emplace_back([&, p] {
            while (!__atomic_load_n(&gate, __ATOMIC_ACQUIRE)) std::this_thread::yield();
            Deadline dl(60);
            for (int i = 0; i < per_producer; ++i) {
                CallReq r{bump, &runs[p * per_producer + i], nullptr, 0};
                if (!callq_post_retry(*target, r, *own[p], dl)) break;
                // Every 100th request is followed by a synchronous one for the
                // same counter: wait until the consumer ran it (so that slot ends at 2).
                if (i % 100 == 0) {
                    CallWait w;
                    callwait_init(w, 1);
                    CallReq s{bump, &runs[p * per_producer + i], &w, 0};
                    if (!callq_post_retry(*target, s, *own[p], dl) || !callq_wait(w, *own[p], dl)) break;
                    if (!callwait_answered(w, 0)) __atomic_fetch_add(&unnamed, 1u, __ATOMIC_RELAXED);
                }
            }
            __atomic_fetch_add(&finished, 1u, __ATOMIC_RELEASE);
        });
    __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
    for (auto& t : ts) t.join();
    consumer.join();

    size_t wrong = 0;
    for (int p = 0; p < producers; ++p)
        for (int i = 0; i < per_producer; ++i) wrong += runs[p * per_producer + i] != (i % 100 == 0 ? 2u : 1u);
    BOOST_TEST(wrong == 0u);
    BOOST_TEST(unnamed == 0u);
    BOOST_TEST(callq_pending(*target) == 0u);
}

BOOST_AUTO_TEST_CASE(producers_race_for_slots) {
    // Two producers fill an empty mailbox at the same moment, round after
    // round, with nobody draining: every post that reports success must run
    // exactly once, and together they must fill exactly the capacity.
    constexpr int rounds = 1000;
    auto q = std::make_unique<CallQueue>(0);
    std::vector<uint32_t> runs(2 * callq_capacity);
    uint32_t round = 0, arrived = 0, accepted[2] = {0, 0};
    auto producer = [&](int p) {
        for (uint32_t r = 1; r <= rounds; ++r) {
            while (__atomic_load_n(&round, __ATOMIC_ACQUIRE) != r) std::this_thread::yield();
            uint32_t ok = 0;
            for (uint32_t i = 0; i < callq_capacity; ++i)
                ok += callq_post(*q, CallReq{bump, &runs[p * callq_capacity + i], nullptr, 0});
            __atomic_store_n(&accepted[p], ok, __ATOMIC_RELAXED);
            __atomic_fetch_add(&arrived, 1u, __ATOMIC_RELEASE);
        }
    };
    std::thread a(producer, 0), b(producer, 1);
    size_t bad_rounds = 0;
    for (uint32_t r = 1; r <= rounds; ++r) {
        for (uint32_t& n : runs) n = 0;
        __atomic_store_n(&round, r, __ATOMIC_RELEASE);
        while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) != 2 * r) std::this_thread::yield();
        size_t ran = callq_drain(*q);
        uint32_t want[2] = {__atomic_load_n(&accepted[0], __ATOMIC_RELAXED), __atomic_load_n(&accepted[1], __ATOMIC_RELAXED)};
        bool good = ran == callq_capacity && want[0] + want[1] == callq_capacity;
        // Each producer's accepted posts are its first ones: after a full look it stops winning.
        for (int p = 0; p < 2; ++p)
            for (uint32_t i = 0; i < callq_capacity; ++i) good &= runs[p * callq_capacity + i] == (i < want[p] ? 1u : 0u);
        bad_rounds += !good;
    }
    a.join();
    b.join();
    BOOST_TEST(bad_rounds == 0u);
}

BOOST_AUTO_TEST_CASE(cross_calls_do_not_deadlock) {
    // Every "CPU" sends synchronous calls to every other and waits for them,
    // all at once. Each waiter drains its own mailbox, so all finish.
    constexpr int cpus = 4;
    constexpr int rounds = 2000;
    std::vector<std::unique_ptr<CallQueue>> mb;
    for (int c = 0; c < cpus; ++c) mb.push_back(std::make_unique<CallQueue>(c));
    std::vector<uint32_t> ran(cpus);
    std::vector<int> completed(cpus);
    std::vector<std::thread> ts;
    for (int c = 0; c < cpus; ++c)
        ts.emplace_back([&, c] {
            Deadline dl(60);
            for (int r = 0; r < rounds; ++r) {
                CallWait w;
                callwait_init(w, cpus - 1);
                bool ok = true;
                for (int t = 0; t < cpus && ok; ++t)
                    if (t != c) ok = callq_post_retry(*mb[t], CallReq{bump, &ran[t], &w, 0}, *mb[c], dl);
                if (!ok || !callq_wait(w, *mb[c], dl)) return;
                for (int t = 0; t < cpus; ++t)
                    if (t != c && !callwait_answered(w, t)) return;
                __atomic_fetch_add(&completed[c], 1, __ATOMIC_RELAXED);
            }
            // Stay responsive until everyone is done, as an idle CPU would.
            while (dl()) {
                callq_drain(*mb[c]);
                bool all = true;
                for (int t = 0; t < cpus; ++t) all &= __atomic_load_n(&completed[t], __ATOMIC_RELAXED) == rounds;
                if (all) break;
            }
        });
    for (auto& t : ts) t.join();
    for (int c = 0; c < cpus; ++c) {
        BOOST_TEST(completed[c] == rounds);
        BOOST_TEST(ran[c] == uint32_t((cpus - 1) * rounds));
    }
}

BOOST_AUTO_TEST_CASE(timeout_names_the_silent_cpu) {
    // CPUs 1 and 2 answer; CPU 3 never drains. The wait gives up and the
    // CallWait says exactly who answered.
    CallQueue self(0), a(1), b(2), silent(3);
    CallWait w;
    callwait_init(w, 3);
    uint32_t count = 0;
    for (CallQueue* q : {&a, &b, &silent}) BOOST_TEST(callq_post(*q, CallReq{bump, &count, &w, 0}));
    callq_drain(a);
    callq_drain(b);
    int looks = 0;
    BOOST_TEST(!callq_wait(w, self, [&] { return ++looks < 100; }));
    BOOST_TEST(looks == 100);
    BOOST_TEST(w.pending == 1u);
    BOOST_TEST(callwait_answered(w, 1));
    BOOST_TEST(callwait_answered(w, 2));
    BOOST_TEST(!callwait_answered(w, 3));
    BOOST_TEST(!callwait_answered(w, 0));
    BOOST_TEST(callq_pending(silent) == 1u);
}

BOOST_AUTO_TEST_CASE(init_and_wide_cpu_ids) {
    CallQueue q;
    callq_init(q, 200);
    CallWait w;
    callwait_init(w, 1);
    uint32_t count = 0;
    BOOST_TEST(callq_post(q, CallReq{bump, &count, &w, 0}));
    callq_drain(q);
    BOOST_TEST(callwait_answered(w, 200));
    BOOST_TEST(w.answered[200 / 32] == 1u << (200 % 32));
    // The highest CPU id the kernel can have is named too.
    uint32_t top = callq_max_cpus - 1;
    callq_init(q, top);
    callwait_init(w, 1);
    BOOST_TEST(callq_post(q, CallReq{bump, &count, &w, 0}));
    callq_drain(q);
    BOOST_TEST(callwait_answered(w, top));
    BOOST_TEST(!callwait_answered(w, 200));
    BOOST_TEST(count == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
