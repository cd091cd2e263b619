// Threads for engine jobs that wait on the network or run a kernel (kernels, peers). A thread
// starts when a job arrives and no thread is idle (up to a maximum), and a thread left idle for
// `idle_exit` ends: a burst of work leaves no threads behind once it is over. The stacks are
// sized for the EVM (common/thread.hpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "common/thread.hpp"

namespace krnl::engine {

class WorkerPool {
public:
    WorkerPool(size_t max_threads, std::chrono::milliseconds idle_exit,
               size_t stack_bytes = kEvmThreadStack);
    // False when the pool has no thread and cannot start one (the caller answers an error).
    bool post(std::function<void()> job);
    size_t threads() const;

private:
    struct State {
        std::mutex mutex;
        std::condition_variable ready;
        std::deque<std::function<void()>> jobs;
        size_t threads = 0;
        size_t idle = 0;
    };
    static void work(std::shared_ptr<State> state, std::chrono::milliseconds idle_exit);

    const size_t max_threads_;
    const std::chrono::milliseconds idle_exit_;
    const size_t stack_bytes_;
    std::shared_ptr<State> state_;  // shared with the threads, which may outlive the pool
};

}  // namespace krnl::engine
