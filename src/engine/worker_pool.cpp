#include "engine/worker_pool.hpp"

#include <algorithm>

namespace krnl::engine {

WorkerPool::WorkerPool(size_t max_threads, std::chrono::milliseconds idle_exit, size_t stack_bytes)
    : max_threads_(std::max<size_t>(1, max_threads)),
      idle_exit_(idle_exit),
      stack_bytes_(stack_bytes),
      state_(std::make_shared<State>()) {}

bool WorkerPool::post(std::function<void()> job) {
    std::unique_lock lock(state_->mutex);
    state_->jobs.push_back(std::move(job));
    if (state_->idle >= state_->jobs.size()) {
        state_->ready.notify_one();
        return true;
    }
    if (state_->threads < max_threads_) {
        ++state_->threads;
        lock.unlock();
        const bool started = spawn_detached(
            [state = state_, idle = idle_exit_] { work(state, idle); }, stack_bytes_);
        lock.lock();
        if (started) return true;
        --state_->threads;
    }
    if (state_->threads > 0) return true;  // queued for a running thread
    state_->jobs.pop_back();
    return false;
}

size_t WorkerPool::threads() const {
    std::lock_guard lock(state_->mutex);
    return state_->threads;
}

void WorkerPool::work(std::shared_ptr<State> state, std::chrono::milliseconds idle_exit) {
    std::unique_lock lock(state->mutex);
    for (;;) {
        if (state->jobs.empty()) {
            ++state->idle;
            const bool woken =
                state->ready.wait_for(lock, idle_exit, [&] { return !state->jobs.empty(); });
            --state->idle;
            if (!woken) {
                --state->threads;
                return;
            }
        }
        auto job = std::move(state->jobs.front());
        state->jobs.pop_front();
        lock.unlock();
        job();
        job = nullptr;  // what the job holds goes before the thread waits again
        lock.lock();
    }
}

}  // namespace krnl::engine
