// Mines a block of a chain every interval, on its own thread (--block-time, evm_setIntervalMining).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "chain/chain.hpp"

namespace krnl::node {

class IntervalMiner {
public:
    explicit IntervalMiner(chain::Chain& chain);
    ~IntervalMiner();
    IntervalMiner(const IntervalMiner&) = delete;
    IntervalMiner& operator=(const IntervalMiner&) = delete;

    // 0 stops interval mining.
    void set_interval(uint64_t milliseconds);

private:
    void run();

    chain::Chain& chain_;
    std::mutex mutex_;
    std::condition_variable changed_;
    uint64_t interval_ms_ = 0;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace krnl::node
