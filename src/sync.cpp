/// @file sync.cpp
/// Wait queues, the sleeping mutex and the semaphore.
#include "sync.h"
#include "panic.h"
#include "x86.h"

void WaitQueue::wait(bool (*cond)(void*), void* ctx) {
    Thread* me = current_thread();
    for (;;) {
        {
            IrqSpinGuard g(lock);
            if (cond(ctx)) return;
            bool listed = false;
            for (uint32_t i = 0; i < count; ++i) listed |= waiters[i] == me;
            if (!listed) {
                if (count == sizeof waiters / sizeof waiters[0]) panic("waitq: more than %u waiters", count);
                waiters[count++] = me;
            }
            // Blocked before the lock is released: a waker that comes after
            // this point finds us listed and Blocked, so it cannot be missed.
            me->tlock.lock();
            me->state = ThreadState::Blocked;
            me->tlock.unlock();
        }
        sched_block();
    }
}

void WaitQueue::wake_all() {
    IrqSpinGuard g(lock);
    for (uint32_t i = 0; i < count; ++i) thread_wake(waiters[i]);
    count = 0;
}

void WaitQueue::set_and_wake_all(volatile bool* flag) {
    IrqSpinGuard g(lock);
    *flag = true;
    for (uint32_t i = 0; i < count; ++i) thread_wake(waiters[i]);
    count = 0;
}

void WaitQueue::wake_one() {
    IrqSpinGuard g(lock);
    if (!count) return;
    Thread* t = waiters[0];
    for (uint32_t i = 1; i < count; ++i) waiters[i - 1] = waiters[i];
    --count;
    thread_wake(t);
}

namespace {
struct MutexTry {
    Thread* volatile* owner;
    Thread* me;
};
bool try_take(void* p) {
    MutexTry* m = (MutexTry*)p;
    Thread* expected = nullptr;
    return __atomic_compare_exchange_n(m->owner, &expected, m->me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
}  // namespace

void Mutex::lock() {
    Thread* me = current_thread();
    if (owner_ == me) panic("mutex: thread %s takes a mutex it holds", me->name);
    MutexTry m{&owner_, me};
    wq_.wait(try_take, &m);
}

void Mutex::unlock() {
    if (owner_ != current_thread()) panic("mutex: released by a thread that does not hold it");
    __atomic_store_n(&owner_, nullptr, __ATOMIC_RELEASE);
    wq_.wake_one();
}

bool Mutex::held_by_me() const { return owner_ == current_thread(); }

namespace {
bool take_unit(void* p) {
    volatile uint32_t* c = (volatile uint32_t*)p;
    uint32_t v = *c;
    while (v > 0)
        if (__atomic_compare_exchange_n(c, &v, v - 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return true;
    return false;
}
}  // namespace

void Semaphore::down() { wq_.wait(take_unit, (void*)&count_); }

void Semaphore::up() {
    __atomic_fetch_add(&count_, 1, __ATOMIC_RELEASE);
    wq_.wake_one();
}
