#include "common/thread.hpp"

#include <pthread.h>

#include <algorithm>
#include <memory>

namespace krnl {

namespace {

void* trampoline(void* arg) {
    std::unique_ptr<std::function<void()>> fn(static_cast<std::function<void()>*>(arg));
    (*fn)();
    return nullptr;
}

}  // namespace

bool spawn_detached(std::function<void()> fn, size_t stack_bytes) {
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return false;
    pthread_attr_setstacksize(&attr, stack_bytes);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    auto owned = std::make_unique<std::function<void()>>(std::move(fn));
    pthread_t thread;
    const int rc = pthread_create(&thread, &attr, trampoline, owned.get());
    pthread_attr_destroy(&attr);
    if (rc != 0) return false;
    owned.release();  // the thread owns it now
    return true;
}

ThreadPool::ThreadPool(size_t max_threads, size_t stack_bytes)
    : max_threads_(std::max<size_t>(1, max_threads)), stack_bytes_(stack_bytes) {}

ThreadPool::~ThreadPool() {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    jobs_.clear();
    ready_.notify_all();
    ready_.wait(lock, [&] { return threads_ == 0; });
}

bool ThreadPool::stop(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    stopping_ = true;
    jobs_.clear();
    ready_.notify_all();
    return ready_.wait_for(lock, limit, [&] { return threads_ == 0; });
}

bool ThreadPool::post(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    if (idle_ <= jobs_.size() && threads_ < max_threads_ &&
        spawn_detached([this] { work(); }, stack_bytes_))
        ++threads_;
    if (threads_ == 0) return false;
    jobs_.push_back(std::move(job));
    ready_.notify_one();
    return true;
}

void ThreadPool::work() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_;
        ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (stopping_) break;
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        job = nullptr;  // whatever the job holds goes before the thread waits again
        lock.lock();
    }
    --threads_;
    ready_.notify_all();
}

}  // namespace krnl
