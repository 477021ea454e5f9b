// The stealing order (stealorder.h, runq_steal_nearest() in runq.h) on a
// hand-made machine: 2 packages x 2 cores x 2 threads, CPU k being package
// k / 4, core (k / 2) % 2, thread k % 2, and 2 NUMA nodes. The nodes are
// given three ways: one core of each package per node (every level has a
// CPU), one package per node (the node level is empty), and one node for all
// (no SRAT: the other package is on the same node).
#include <boost/test/unit_test.hpp>
#include <initializer_list>
#include <string>
#include <utility>
#include <thread>
#include <vector>
#include "runq.h"
#include "stealorder.h"

namespace {

constexpr uint32_t kCpus = 8;

/// CPU k of the hand-made machine, on the node @p node_of gives it.
template <typename NodeOf>
std::vector<CpuPlace> machine(NodeOf node_of) {
    std::vector<CpuPlace> m;
    for (uint32_t k = 0; k < kCpus; ++k) m.push_back(CpuPlace{TopoIds{k / 4, 0, (k / 2) % 2, k % 2}, node_of(k)});
    return m;
}
uint32_t node_by_core(uint32_t k) { return (k / 2) % 2; }  // node 0: CPUs 0, 1, 4, 5
uint32_t node_by_package(uint32_t k) { return k / 4; }
uint32_t one_node(uint32_t) { return 0; }

auto yield = [](uint32_t) { std::this_thread::yield(); };

struct Task {
    RunqNode node;  // first: a RunqNode* is a Task*
    uint32_t home = 0;       // the queue it was put on
    uint32_t affinity = ~0u; // bit c: may run on CPU c
};
bool allowed(const RunqNode* n, uint32_t cpu, void*) { return (reinterpret_cast<const Task*>(n)->affinity >> cpu) & 1; }

/// Eight queues, and tasks put on them.
struct Queues {
    RunQueue q[kCpus];
    RunQueue* all[kCpus];
    std::vector<Task> tasks;
    uint32_t used = 0;
    Queues() : tasks(64) {
        for (uint32_t k = 0; k < kCpus; ++k) {
            runq_init(q[k], k);
            all[k] = &q[k];
        }
    }
    /// Queue @p n tasks on CPU @p cpu's queue, pinned there when @p pinned.
    void put(uint32_t cpu, uint32_t n, bool pinned = false) {
        for (uint32_t i = 0; i < n; ++i) {
            Task& t = tasks.at(used++);
            t = Task{};
            t.home = cpu;
            t.affinity = pinned ? 1u << cpu : ~0u;
            runq_enqueue(q[cpu], &t.node);
        }
    }
};

/// Where @p thief's steals come from, one at a time until nothing is left
/// that it may take: the home CPU of each node it took.
template <typename Near>
std::vector<uint32_t> steal_all(Queues& qs, uint32_t thief, Near near) {
    std::vector<uint32_t> from;
    while (RunqNode* n = runq_steal_nearest(qs.all, kCpus, qs.q[thief], near, allowed, nullptr, yield)) {
        from.push_back(reinterpret_cast<Task*>(n)->home);
        runq_remove(qs.q[thief], n);  // it runs: the thief's queue is empty again
    }
    return from;
}

/// On the machine whose nodes @p node_of gives, queue tasks ({cpu, how many})
/// and let @p thief steal them all: where each came from, in order.
std::vector<uint32_t> steals(uint32_t (*node_of)(uint32_t), uint32_t thief,
                             std::initializer_list<std::pair<uint32_t, uint32_t>> queued) {
    auto m = machine(node_of);
    Queues qs;
    for (auto [cpu, n] : queued) qs.put(cpu, n);
    return steal_all(qs, thief, [&](uint32_t a, uint32_t b) { return steal_level(m[a], m[b]); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stealorder)

BOOST_AUTO_TEST_CASE(levels_of_a_hand_made_machine) {
    using L = StealLevel;
    auto m = machine(node_by_core);
    const L from0[kCpus] = {L::Core, L::Core, L::Package, L::Package, L::Node, L::Node, L::Machine, L::Machine};
    const L from6[kCpus] = {L::Machine, L::Machine, L::Node, L::Node, L::Package, L::Package, L::Core, L::Core};
    for (uint32_t k = 0; k < kCpus; ++k) {
        BOOST_TEST_CONTEXT("cpu " << k) {
            BOOST_TEST((steal_level(m[0], m[k]) == from0[k]));
            BOOST_TEST((steal_level(m[6], m[k]) == from6[k]));
            for (uint32_t j = 0; j < kCpus; ++j) BOOST_TEST((steal_level(m[j], m[k]) == steal_level(m[k], m[j])));
        }
    }
    // Core and die ids repeat across packages: core 0 of package 1 is no sibling of CPU 0.
    BOOST_TEST((steal_level(machine(one_node)[0], machine(one_node)[4]) == L::Node));
    BOOST_TEST((steal_level(machine(node_by_package)[0], machine(node_by_package)[4]) == L::Machine));
    BOOST_TEST(std::string(steal_level_name(L::Core)) == "core");
    BOOST_TEST(std::string(steal_level_name(L::Machine)) == "machine");
}

BOOST_AUTO_TEST_CASE(sibling_then_package_then_node_then_anywhere) {
    // The farther, the busier: a busiest-first thief would start at the far end.
    std::vector<uint32_t> expect = {1, 2, 2, 4, 4, 4, 6, 6, 6, 6};
    BOOST_TEST(steals(node_by_core, 0, {{1, 1}, {2, 2}, {4, 3}, {6, 4}}) == expect, boost::test_tools::per_element());

    Queues busiest;
    busiest.put(1, 1);
    busiest.put(6, 4);
    BOOST_TEST(runq_steal_busiest(busiest.all, kCpus, busiest.q[0], allowed, nullptr, yield)->queue == &busiest.q[0]);
    BOOST_TEST(runq_count(busiest.q[6]) == 3u);  // it took from the far queue
}

BOOST_AUTO_TEST_CASE(busiest_within_a_level_then_lower_index) {
    // From CPU 3 (package 0, core 1, node 1): CPU 2 is its sibling, 0 and 1
    // its package, 6 (package 1, node 1) its node. Of the package, the busier
    // first, then the two alternate (ties: the lower index).
    std::vector<uint32_t> expect = {2, 1, 0, 1, 0, 1, 6};
    BOOST_TEST(steals(node_by_core, 3, {{6, 1}, {2, 1}, {0, 2}, {1, 3}}) == expect, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_level_of_pinned_threads_is_passed_over) {
    auto m = machine(node_by_core);
    auto near = [&](uint32_t a, uint32_t b) { return steal_level(m[a], m[b]); };
    Queues qs;
    qs.put(1, 3, true);  // the sibling's: pinned there
    qs.put(7, 1);        // machine level
    qs.put(5, 1);        // node level
    std::vector<uint32_t> expect = {5, 7};
    BOOST_TEST(steal_all(qs, 0, near) == expect, boost::test_tools::per_element());
    BOOST_TEST(runq_count(qs.q[1]) == 3u);
}

BOOST_AUTO_TEST_CASE(empty_levels_are_skipped) {
    // One package per node: from CPU 0 nothing is at node level.
    std::vector<uint32_t> expect = {3, 5, 5};
    BOOST_TEST(steals(node_by_package, 0, {{5, 2}, {3, 1}}) == expect, boost::test_tools::per_element());
    // One node (no SRAT): the other package is at node level, nothing is farther.
    expect = {1, 4, 4};
    BOOST_TEST(steals(one_node, 0, {{4, 2}, {1, 1}}) == expect, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
