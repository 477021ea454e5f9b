// The logger's line assembly and its ticket lock (src/logline.cpp), the same
// code as the kernel's: exact lines for fixed times, cut lines at the buffer's
// edge, and host threads standing in for CPUs that log at once.
#include <boost/test/unit_test.hpp>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <sched.h>
#include <atomic>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <new>
#include <vector>
#include "host_log.h"
#include "logline.h"

namespace {

constexpr size_t kGuard = 16;
constexpr char kGuardByte = '#';

/// A stub reached on the host only warns; say which, so the grader reports it.
void no_todo() {
    for (const std::string& l : captured_log())
        BOOST_TEST_REQUIRE(l.find("-TODO:") == std::string::npos, l);
}

/// Formats into a buffer of @p cap bytes followed by guard bytes that must
/// stay untouched; returns the line and checks the returned length against it.
std::string format(size_t cap, const LogHeader& h, const char* fmt, ...) {
    clear_log();
    std::vector<char> buf(cap + kGuard, kGuardByte);
    va_list ap;
    va_start(ap, fmt);
    size_t n = logline_format(buf.data(), cap, h, fmt, ap);
    va_end(ap);
    no_todo();
    for (size_t i = cap; i < cap + kGuard; ++i)
        BOOST_TEST_REQUIRE(buf[i] == kGuardByte, "byte " << i << " written past a buffer of " << cap);
    BOOST_TEST_REQUIRE(n < cap);
    BOOST_TEST(std::strlen(buf.data()) == n, "the returned length is the line's, without the zero");
    return std::string(buf.data(), std::min(n, std::strlen(buf.data())));
}

LogHeader at(uint64_t ns, uint32_t cpu, const char* tag = "") { return LogHeader{true, ns, cpu, tag}; }
LogHeader before_clock(uint32_t cpu, const char* tag = "") { return LogHeader{false, 0, cpu, tag}; }

using Clock = std::chrono::steady_clock;

/// Thrown by a wait hook that has waited far too long (a lost ticket): the
/// thread leaves the lock and the test fails instead of hanging.
struct Stuck : std::runtime_error {
    Stuck() : std::runtime_error("waited 10 s for the lock") {}
};

thread_local int me = -1;  // the test thread's number, seen by the hooks

/// The storm's shared "UART": one character at a time, with a plain shared
/// position, so two writers at once mix or lose characters.
struct Storm {
    LogLock lock{};
    std::vector<char> out = std::vector<char>(1 << 22);
    size_t pos = 0;
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
    std::atomic<int> stuck{0};
};

thread_local Clock::time_point wait_deadline;  // set by put() for each call

void storm_wait(void*) {
    if (Clock::now() > wait_deadline) throw Stuck();
    std::this_thread::yield();  // a thread may stand in for a CPU the host has descheduled
}

void storm_write(const char* s, size_t n, void* ctx) {
    Storm& st = *static_cast<Storm*>(ctx);
    if (st.inside.fetch_add(1) != 0) st.overlaps.fetch_add(1);
    for (size_t i = 0; i < n; ++i) {
        size_t p = __atomic_load_n(&st.pos, __ATOMIC_RELAXED);
        if (p < st.out.size()) __atomic_store_n(&st.out[p], s[i], __ATOMIC_RELAXED);
        __atomic_store_n(&st.pos, p + 1, __ATOMIC_RELAXED);
        if (i == n / 2) std::this_thread::yield();  // the UART is slow: others run meanwhile
    }
    st.inside.fetch_sub(1);
}

/// Runs @p n threads, each as body(id), released together from a gate.
template <typename Body>
void run_threads(int n, Body body) {
    std::atomic<bool> gate{false};
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i)
        ts.emplace_back([&, i] {
            me = i;
            while (!gate.load()) std::this_thread::yield();
            body(i);
        });
    gate = true;
    for (auto& t : ts) t.join();
}

/// Keeps the calling thread on host CPU @p k (modulo their number), so that
/// two racing threads run on two cores whenever both run.
void pin_to_cpu(int k) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(k % std::max(1u, std::thread::hardware_concurrency()), &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

/// One test thread's logline_put(), counting a thread that gave up.
void put(Storm& st, const char* line, size_t len, void (*wait)(void*), void (*write)(const char*, size_t, void*)) {
    wait_deadline = Clock::now() + std::chrono::seconds(10);
    try {
        logline_put(st.lock, line, len, LogOut{wait, write, &st});
    } catch (const Stuck&) {
        st.stuck.fetch_add(1);
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logline)

BOOST_AUTO_TEST_CASE(prefix_seconds_and_microseconds) {
    // 12.345678901 s: the fraction is the microseconds within the second.
    BOOST_TEST(format(384, at(12345678901ull, 3), "hello %d", 7) == "[   12.345678] cpu3: hello 7\n");
    // A fraction below 100000 us keeps its leading zeros: 1.000042 s.
    BOOST_TEST(format(384, at(1000042999ull, 0), "x") == "[    1.000042] cpu0: x\n");
    BOOST_TEST(format(384, at(7000ull, 12), "x") == "[    0.000007] cpu12: x\n");
    // Seconds fill five columns, right-aligned, and grow past them.
    BOOST_TEST(format(384, at(99999999999999ull, 255), "x") == "[99999.999999] cpu255: x\n");
    BOOST_TEST(format(384, at(123456000000000ull, 1), "x") == "[123456.000000] cpu1: x\n");
}

BOOST_AUTO_TEST_CASE(prefix_before_the_clock) {
    BOOST_TEST(format(384, before_clock(0), "Cohort") == "[    ?.??????] cpu0: Cohort\n");
    BOOST_TEST(format(384, before_clock(17, "WARN: "), "early") == "[    ?.??????] cpu17: WARN: early\n");
}

BOOST_AUTO_TEST_CASE(prefix_tag_after_cpu) {
    BOOST_TEST(format(384, at(2500000000ull, 1, "WARN: "), "w %s", "x") == "[    2.500000] cpu1: WARN: w x\n");
    BOOST_TEST(format(384, at(2500000000ull, 2, "ERROR: "), "e") == "[    2.500000] cpu2: ERROR: e\n");
}

BOOST_AUTO_TEST_CASE(truncation_keeps_the_line_whole) {
    std::string longmsg(600, 'x');
    for (size_t cap : {384u, 64u, 100u}) {
        std::string l = format(cap, at(1000000000ull, 1), "%s", longmsg.c_str());
        // A cut line fills the buffer: cap - 2 characters, the newline, the zero.
        BOOST_TEST(l.size() == cap - 1, "cap " << cap);
        BOOST_TEST(l.compare(0, 21, "[    1.000000] cpu1: ") == 0);
        BOOST_TEST(l.substr(l.size() - 4) == "...\n", "cap " << cap << ": " << l);
        BOOST_TEST(l.substr(21, l.size() - 25) == std::string(cap - 26, 'x'), "cap " << cap);
    }
}

BOOST_AUTO_TEST_CASE(truncation_boundary) {
    // The prefix "[    1.000000] cpu1: " is 21 characters. With 64 bytes a line
    // holds 62 characters and its newline: a 41-character message fits whole.
    std::string fits(41, 'a'), over(42, 'a');
    BOOST_TEST(format(64, at(1000000000ull, 1), "%s", fits.c_str()) == "[    1.000000] cpu1: " + fits + "\n");
    BOOST_TEST(format(64, at(1000000000ull, 1), "%s", over.c_str()) ==
               "[    1.000000] cpu1: " + std::string(38, 'a') + "...\n");
    std::string k384(361, 'b');  // 21 + 361 = 382: the longest line that is not cut
    BOOST_TEST(format(384, at(1000000000ull, 1), "%s", k384.c_str()) == "[    1.000000] cpu1: " + k384 + "\n");
}

BOOST_AUTO_TEST_CASE(lock_storm_whole_lines) {
    // Four threads log 500 lines each at once: every line whole, in each
    // thread's order, none lost, and one ticket taken and served per line.
    constexpr int kThreads = 4, kLines = 500;
    clear_log();
    Storm st;
    run_threads(kThreads, [&](int id) {
        char line[64];
        for (int i = 0; i < kLines && st.stuck.load() == 0; ++i) {
            size_t n = std::snprintf(line, sizeof line, "cpu%d seq %d end\n", id, i);
            put(st, line, n, storm_wait, storm_write);
        }
    });
    no_todo();
    BOOST_TEST(st.stuck.load() == 0, "a thread waited 10 s for its ticket: a ticket was lost");
    BOOST_TEST(st.overlaps.load() == 0, "two threads wrote at once");
    std::vector<int> next(kThreads, 0);
    int whole = 0, bad = 0;
    std::string text(st.out.data(), std::min(st.pos, st.out.size()));
    for (size_t b = 0, e; b < text.size(); b = e + 1) {
        e = text.find('\n', b);
        if (e == std::string::npos) e = text.size();
        int id = -1, seq = -1, used = 0;
        std::string l = text.substr(b, e - b);
        if (std::sscanf(l.c_str(), "cpu%d seq %d end%n", &id, &seq, &used) == 2 && used == (int)l.size() &&
            id >= 0 && id < kThreads && seq == next[id]) {
            ++next[id];
            ++whole;
        } else if (bad++ < 3) {
            BOOST_TEST_MESSAGE("not a whole line in order: '" << l << "'");
        }
    }
    BOOST_TEST(bad == 0, bad << " lines mixed, cut or out of order");
    BOOST_TEST(whole == kThreads * kLines);
    BOOST_TEST(__atomic_load_n(&st.lock.next, __ATOMIC_RELAXED) == uint32_t(kThreads * kLines),
               "tickets taken: one per line, none lost to a race");
    BOOST_TEST(__atomic_load_n(&st.lock.serving, __ATOMIC_RELAXED) == uint32_t(kThreads * kLines));
}

BOOST_AUTO_TEST_CASE(lock_ticket_race) {
    // Two threads released together take their tickets at the same moment,
    // round after round for two seconds: a ticket read and written back in two
    // steps is sooner or later taken twice. Every call must take its own.
    constexpr int kThreads = 2;
    clear_log();
    Storm st;
    std::atomic<int> arrived{0}, rounds{0};
    auto stop = Clock::now() + std::chrono::milliseconds(2000);
    run_threads(kThreads, [&](int id) {
        pin_to_cpu(id);
        char line[] = "x\n";
        for (int r = 1; st.stuck.load() == 0; ++r) {
            if (id == 0 && (Clock::now() > stop || r > 1000000)) rounds = -r;  // the last round
            arrived.fetch_add(1);
            for (int spins = 0; arrived.load() < r * kThreads && st.stuck.load() == 0; ++spins)
                if (spins > 1000) std::this_thread::yield();
            if (rounds.load() == -r || st.stuck.load() != 0) break;
            put(st, line, 2, storm_wait, storm_write);
        }
    });
    no_todo();
    uint32_t calls = __atomic_load_n(&st.pos, __ATOMIC_RELAXED) / 2;
    BOOST_TEST_MESSAGE(calls << " calls");
    BOOST_TEST(st.stuck.load() == 0, "a thread waited 10 s for its ticket: a ticket was lost");
    BOOST_TEST(st.overlaps.load() == 0, "two threads held the lock at once");
    BOOST_TEST(__atomic_load_n(&st.lock.next, __ATOMIC_RELAXED) == calls, "each call takes its own ticket");
    BOOST_TEST(__atomic_load_n(&st.lock.serving, __ATOMIC_RELAXED) == calls);
}

namespace {
// The ticket's read and write, caught between them: the lock lies in a page
// that is read-only until two writers have faulted on it. An atomic
// fetch-and-add faults before it reads; a plain read followed by a plain write
// faults after the read, so both threads then hold the same ticket.
std::atomic<int> faulted{0};
void* guarded_page = nullptr;

void on_fault(int, siginfo_t* si, void*) {
    char* p = static_cast<char*>(guarded_page);
    if (si->si_addr < p || si->si_addr >= p + 4096) {  // not ours: die as usual
        signal(SIGSEGV, SIG_DFL);
        return;
    }
    faulted.fetch_add(1);
    for (int i = 0; i < 2000 && faulted.load() < 2; ++i) usleep(1000);  // both in, or 2 s
    mprotect(guarded_page, 4096, PROT_READ | PROT_WRITE);
}
}  // namespace

BOOST_AUTO_TEST_CASE(lock_ticket_one_step) {
    clear_log();
    void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    BOOST_TEST_REQUIRE(page != MAP_FAILED);
    LogLock* lock = new (page) LogLock{};
    guarded_page = page;
    faulted = 0;
    struct sigaction sa {}, old {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old);
    mprotect(page, 4096, PROT_READ);
    Storm st;
    run_threads(2, [&](int) {
        wait_deadline = Clock::now() + std::chrono::seconds(10);
        try {
            logline_put(*lock, "x\n", 2, LogOut{storm_wait, storm_write, &st});
        } catch (const Stuck&) {
            st.stuck.fetch_add(1);
        }
    });
    sigaction(SIGSEGV, &old, nullptr);
    no_todo();
    BOOST_TEST(st.stuck.load() == 0, "a thread waited 10 s for its ticket");
    BOOST_TEST(__atomic_load_n(&lock->next, __ATOMIC_RELAXED) == 2u,
               "two callers took " << lock->next << " ticket(s): the ticket was read and written in two steps");
    BOOST_TEST(st.pos == 4u);
    munmap(page, 4096);
}

namespace {
/// The fairness test's stage: a holder, then three waiters that arrive one
/// after the other while it holds the lock.
struct Queue : Storm {
    std::atomic<bool> holding{false}, release{false};
    std::atomic<bool> waiting[4] = {};
    Clock::time_point released;
    std::mutex mu;
    std::vector<int> order;
};

// Thread 0 holds the lock until told. Threads 1 and 2, once they wait, stay
// in the wait hook until 100 ms after the release; thread 3 keeps trying.
// A lock that goes to whoever tries first after the release gives it to 3.
void queue_wait(void* ctx) {
    Queue& q = *static_cast<Queue*>(ctx);
    if (Clock::now() > wait_deadline) throw Stuck();
    q.waiting[me] = true;
    if (me == 1 || me == 2)
        while (!q.release.load() || Clock::now() < q.released + std::chrono::milliseconds(100)) {
            if (Clock::now() > wait_deadline) throw Stuck();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    std::this_thread::yield();
}

void queue_write(const char*, size_t, void* ctx) {
    Queue& q = *static_cast<Queue*>(ctx);
    if (me == 0) {
        q.holding = true;
        while (!q.release.load()) std::this_thread::yield();
    }
    std::lock_guard<std::mutex> g(q.mu);
    q.order.push_back(me);
}

/// Waits until @p flag is set, at most 5 s (or until a stub said it was reached).
bool await(const std::atomic<bool>& flag) {
    auto until = Clock::now() + std::chrono::seconds(5);
    while (!flag.load() && Clock::now() < until && !log_contains("-TODO:")) std::this_thread::yield();
    return flag.load();
}
}  // namespace

BOOST_AUTO_TEST_CASE(lock_fifo) {
    // The lock is granted in the order the callers arrived, whatever they do
    // while they wait: first come, first served.
    clear_log();
    for (int round = 0; round < 3; ++round) {
        Queue q;
        std::vector<std::thread> ts;
        bool seen = true;
        for (int id = 0; id < 4; ++id) {
            ts.emplace_back([&q, id] {
                me = id;
                put(q, "x\n", 2, queue_wait, queue_write);
            });
            seen = seen && await(id == 0 ? q.holding : q.waiting[id]);
        }
        q.released = Clock::now();
        q.release = true;
        for (auto& t : ts) t.join();
        no_todo();
        BOOST_TEST_REQUIRE(seen, "a caller did not call the wait hook while the lock was held");
        BOOST_TEST_REQUIRE(q.stuck.load() == 0);
        BOOST_TEST_REQUIRE((q.order == std::vector<int>{0, 1, 2, 3}),
                           "served " << q.order.size() << " callers, in the order " << (q.order.size() > 1 ? q.order[1] : -1)
                                     << " first after the holder; arrival order was 1, 2, 3");
    }
}

BOOST_AUTO_TEST_SUITE_END()
