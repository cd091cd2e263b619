#include "node/interval_miner.hpp"

#include <iostream>

namespace krnl::node {

IntervalMiner::IntervalMiner(chain::Chain& chain) : chain_(chain), thread_([this] { run(); }) {}

IntervalMiner::~IntervalMiner() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void IntervalMiner::set_interval(uint64_t milliseconds) {
    {
        std::lock_guard lock(mutex_);
        interval_ms_ = milliseconds;
    }
    changed_.notify_all();
}

void IntervalMiner::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        if (interval_ms_ == 0) {
            changed_.wait(lock);
            continue;
        }
        const uint64_t interval = interval_ms_;
        // A changed interval restarts the wait; otherwise the block is due.
        if (changed_.wait_for(lock, std::chrono::milliseconds(interval),
                              [&] { return stopping_ || interval_ms_ != interval; }))
            continue;
        lock.unlock();
        if (auto mined = chain_.mine(); !mined)
            std::cerr << "krnld: chain " << chain_.config().chain_id
                      << ": interval mining failed: " << mined.error() << "\n";
        lock.lock();
    }
}

}  // namespace krnl::node
