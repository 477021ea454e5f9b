// The ticket and test-and-set lock cores and the PolicyLock that picks one,
// with host threads standing in for CPUs (also more threads than host cores):
// exact totals under contention, and FIFO service for the ticket lock.
#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>
#include "spinlock_core.h"

namespace {
constexpr int kThreads = 8;
constexpr int kRounds = 5000;  // 40000 contended acquisitions per test: enough to lose an update

// A test thread may stand in for a CPU the host has descheduled: give way.
auto yield = [](uint32_t) { std::this_thread::yield(); };

// Starts @p n threads running body(id) together (behind a start gate, so they
// really contend instead of finishing one by one) and joins them.
template <typename Body>
void run_threads(int n, Body body) {
    int gate = 0;
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i)
        ts.emplace_back([&, i] {
            while (!__atomic_load_n(&gate, __ATOMIC_ACQUIRE)) std::this_thread::yield();
            body(i);
        });
    __atomic_store_n(&gate, 1, __ATOMIC_RELEASE);
    for (auto& t : ts) t.join();
}

// The critical section of the counting tests: counts overlapping holders
// (there must be none) and increments in two steps, so that a lock that lets
// two threads in loses updates.
struct Shared {
    uint64_t counter = 0;
    uint32_t inside = 0;
    uint32_t overlaps = 0;
    void critical() {
        if (__atomic_fetch_add(&inside, 1u, __ATOMIC_RELAXED) != 0) __atomic_fetch_add(&overlaps, 1u, __ATOMIC_RELAXED);
        uint64_t v = __atomic_load_n(&counter, __ATOMIC_RELAXED);
        __atomic_store_n(&counter, v + 1, __ATOMIC_RELAXED);
        __atomic_fetch_sub(&inside, 1u, __ATOMIC_RELAXED);
    }
};

// @p threads threads (kThreads by default) each take the lock @p rounds times
// and run Shared::critical inside: the total must be exact and no two holders
// may overlap.
template <typename Acquire, typename Release>
void count_under_lock(Acquire acquire, Release release, int threads = kThreads, int rounds = kRounds) {
    Shared sh;
    std::vector<int> per_thread(threads);
    run_threads(threads, [&](int id) {
        for (int i = 0; i < rounds; ++i) {
            acquire();
            sh.critical();
            ++per_thread[id];
            release();
        }
    });
    BOOST_TEST(sh.overlaps == 0u);
    BOOST_TEST(sh.counter == uint64_t(threads) * rounds);
    for (int n : per_thread) BOOST_TEST(n == rounds);
}

// More threads than the host has cores, as vCPUs outnumber host cores under
// TCG: some holders and waiters are always descheduled.
int oversubscribed() {
    unsigned cores = std::thread::hardware_concurrency();
    return int(4 * (cores ? cores : 2));
}

// Sets spin_tas_chosen for one scope (the policy is a global).
struct PolicyScope {
    bool old = spin_tas_chosen;
    explicit PolicyScope(bool tas) { spin_tas_chosen = tas; }
    ~PolicyScope() { spin_tas_chosen = old; }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(spinlock)

BOOST_AUTO_TEST_CASE(ticket_single_cpu) {
    static constinit TicketLock s;  // constexpr constructor: no static initialiser needed
    BOOST_TEST(!ticket_locked(s));
    TicketLock l;
    BOOST_TEST(!ticket_locked(l));
    BOOST_TEST(ticket_try(l));
    BOOST_TEST(ticket_locked(l));
    BOOST_TEST(!ticket_try(l));
    uint32_t t = ticket_take(l);  // a waiter queues behind the holder
    BOOST_TEST(t == 1u);
    BOOST_TEST(ticket_ahead(l, t) == 1u);
    ticket_release(l);
    BOOST_TEST(ticket_ahead(l, t) == 0u);
    BOOST_TEST(ticket_locked(l));
    ticket_release(l);
    BOOST_TEST(!ticket_locked(l));
    BOOST_TEST(ticket_acquire(l, yield) == 2u);
    ticket_release(l);
    BOOST_TEST(l.next == 3u);
    BOOST_TEST(l.owner == 3u);
}

BOOST_AUTO_TEST_CASE(ticket_wraps_around) {
    TicketLock l;
    l.next = l.owner = 0xFFFFFFFEu;
    for (int i = 0; i < 4; ++i) {
        uint32_t a = ticket_take(l);
        uint32_t b = ticket_take(l);
        BOOST_TEST(ticket_ahead(l, a) == 0u);
        BOOST_TEST(ticket_ahead(l, b) == 1u);
        ticket_release(l);
        BOOST_TEST(ticket_ahead(l, b) == 0u);
        ticket_release(l);
        BOOST_TEST(!ticket_locked(l));
    }
    BOOST_TEST(l.owner == 6u);
}

BOOST_AUTO_TEST_CASE(ticket_exact_total) {
    TicketLock l;
    count_under_lock([&] { ticket_acquire(l, yield); }, [&] { ticket_release(l); });
    BOOST_TEST(!ticket_locked(l));
    BOOST_TEST(l.owner == uint32_t(kThreads * kRounds));
}

BOOST_AUTO_TEST_CASE(ticket_served_in_order_taken) {
    // Every acquisition logs its ticket inside the lock: the log must read
    // 0, 1, 2, ... with no ticket skipped, repeated or served early.
    TicketLock l;
    constexpr int rounds = kRounds;
    std::vector<uint32_t> served;
    served.reserve(kThreads * rounds);
    run_threads(kThreads, [&](int) {
        for (int i = 0; i < rounds; ++i) {
            uint32_t t = ticket_take(l);
            ticket_wait(l, t, yield);
            if (served.size() < served.capacity()) served.push_back(t);
            ticket_release(l);
        }
    });
    BOOST_TEST(served.size() == size_t(kThreads) * rounds);
    size_t bad = 0;
    for (size_t i = 0; i < served.size(); ++i) bad += served[i] != i;
    BOOST_TEST(bad == 0u);
}

BOOST_AUTO_TEST_CASE(ticket_waiters_enter_in_arrival_order) {
    // The main thread holds the lock while waiters arrive one at a time (each
    // starts only after the previous has queued); after the release they must
    // enter in exactly that order.
    TicketLock l;
    ticket_acquire(l, yield);
    std::vector<int> order;
    std::vector<std::thread> ts;
    for (int i = 0; i < kThreads; ++i) {
        ts.emplace_back([&, i] {
            ticket_acquire(l, yield);
            order.push_back(i);
            ticket_release(l);
        });
        while (__atomic_load_n(&l.next, __ATOMIC_RELAXED) != uint32_t(i + 2)) std::this_thread::yield();
    }
    ticket_release(l);
    for (auto& t : ts) t.join();
    std::vector<int> expect;
    for (int i = 0; i < kThreads; ++i) expect.push_back(i);
    BOOST_TEST(order == expect, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(tas_single_cpu) {
    TasLock l;
    BOOST_TEST(!tas_locked(l));
    BOOST_TEST(tas_try(l));
    BOOST_TEST(tas_locked(l));
    BOOST_TEST(!tas_try(l));
    tas_release(l);
    BOOST_TEST(!tas_locked(l));
    tas_acquire(l, yield);
    BOOST_TEST(tas_locked(l));
    tas_release(l);
}

BOOST_AUTO_TEST_CASE(tas_exact_total) {
    TasLock l;
    count_under_lock([&] { tas_acquire(l, yield); }, [&] { tas_release(l); });
    BOOST_TEST(!tas_locked(l));
}

BOOST_AUTO_TEST_CASE(backoff_doubles_up_to_its_cap) {
    Backoff b(8);
    std::vector<int> rounds;
    for (int i = 0; i < 6; ++i) {
        int n = 0;
        b([&] { ++n; });
        rounds.push_back(n);
    }
    std::vector<int> expect{1, 2, 4, 8, 8, 8};
    BOOST_TEST(rounds == expect, boost::test_tools::per_element());
    Backoff odd(5);  // a cap that is not a power of two is still reached, not passed
    int total = 0;
    for (int i = 0; i < 5; ++i) odd([&] { ++total; });
    BOOST_TEST(total == 1 + 2 + 4 + 5 + 5);
    Backoff zero(0);  // a cap of 0 still relaxes once per round
    int z = 0;
    zero([&] { ++z; });
    zero([&] { ++z; });
    BOOST_TEST(z == 2);
}

BOOST_AUTO_TEST_CASE(policy_choice) {
    BOOST_TEST(!spin_policy_uses_tas(SpinPolicy::Auto, false));
    BOOST_TEST(spin_policy_uses_tas(SpinPolicy::Auto, true));
    BOOST_TEST(!spin_policy_uses_tas(SpinPolicy::Ticket, true));
    BOOST_TEST(!spin_policy_uses_tas(SpinPolicy::Ticket, false));
    BOOST_TEST(spin_policy_uses_tas(SpinPolicy::Tas, false));
    BOOST_TEST(spin_policy_uses_tas(SpinPolicy::Tas, true));
}

BOOST_AUTO_TEST_CASE(policy_lock_released_the_way_it_was_taken) {
    // Taken as a ticket lock, released after the policy changed: the ticket is
    // served and the test-and-set word never touched; and the other way round.
    PolicyLock l;
    {
        PolicyScope p(false);
        BOOST_TEST(policy_try(l));
        BOOST_TEST(ticket_locked(l.ticket));
        BOOST_TEST(!tas_locked(l.tas));
    }
    {
        PolicyScope p(true);
        BOOST_TEST(policy_locked(l));
        policy_release(l);
        BOOST_TEST(!policy_locked(l));
        BOOST_TEST(l.ticket.owner == 1u);
        policy_acquire(l, yield);
        BOOST_TEST(tas_locked(l.tas));
        BOOST_TEST(!ticket_locked(l.ticket));
    }
    PolicyScope p(false);
    policy_release(l);
    BOOST_TEST(!policy_locked(l));
    BOOST_TEST(l.ticket.next == 1u);
}

BOOST_AUTO_TEST_CASE(policy_lock_exact_total_ticket_oversubscribed) {
    PolicyScope p(false);
    PolicyLock l;
    int n = oversubscribed();
    count_under_lock([&] { policy_acquire(l, yield); }, [&] { policy_release(l); }, n, 500);
    BOOST_TEST(!policy_locked(l));
    BOOST_TEST(l.ticket.owner == uint32_t(n * 500));
}

BOOST_AUTO_TEST_CASE(policy_lock_exact_total_tas) {
    PolicyScope p(true);
    PolicyLock l;
    count_under_lock([&] { policy_acquire(l, yield); }, [&] { policy_release(l); });
    BOOST_TEST(!policy_locked(l));
    BOOST_TEST(l.ticket.next == 0u);  // test-and-set never took a ticket
}

BOOST_AUTO_TEST_CASE(policy_lock_exact_total_tas_oversubscribed) {
    PolicyScope p(true);
    PolicyLock l;
    int n = oversubscribed();
    count_under_lock([&] {
        if (!policy_try(l)) policy_acquire(l, yield);  // try_lock beside lock, as the kernel mixes them
    }, [&] { policy_release(l); }, n, 500);
    BOOST_TEST(!policy_locked(l));
}

BOOST_AUTO_TEST_SUITE_END()
