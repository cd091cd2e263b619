// Threads whose stack is sized for the EVM: the interpreter recurses once per call depth (up to
// 1024 frames), so whatever runs contract code (RPC handlers, kernels) gets a stack of its own
// size rather than whatever the environment's default happens to be.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace krnl {

// Reserved address space, committed only as touched. 1024 frames fit in a few MiB in Release;
// AddressSanitizer's frames are far larger.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr size_t kEvmThreadStack = size_t{1} << 30;
#else
inline constexpr size_t kEvmThreadStack = size_t{512} << 20;
#endif

// Starts `fn` on a detached thread with `stack_bytes` of stack. False when the thread could not
// be created (the caller answers with an error rather than running it inline).
bool spawn_detached(std::function<void()> fn, size_t stack_bytes = kEvmThreadStack);

// A pool that grows a thread whenever a job arrives and none is idle, up to `max_threads`, and
// keeps them: jobs that wait on the network (kernels, peers) hold a thread each without holding
// up the others, and a busy node stops paying for thread creation (a big stack is an mmap and a
// munmap each time, serialised in the kernel).
class ThreadPool {
public:
    explicit ThreadPool(size_t max_threads, size_t stack_bytes = kEvmThreadStack);
    // Drops queued jobs and waits for running ones.
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    // False when the pool is stopping, or has no thread and cannot start one.
    bool post(std::function<void()> job);
    // Drops queued jobs and waits up to `limit` for running ones: true when none is left. A pool
    // whose jobs outlast the limit must outlive them (the caller leaks it at shutdown).
    bool stop(std::chrono::milliseconds limit);

private:
    void work();

    const size_t max_threads_;
    const size_t stack_bytes_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    size_t threads_ = 0;
    size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace krnl
