#include "evm/cancellation.hpp"

namespace krnl::evm {
namespace {

const std::atomic<bool> kNeverStopped{false};
thread_local const std::atomic<bool>* t_stop_flag = &kNeverStopped;

}  // namespace

CancellationScope::CancellationScope(const Cancellation& c) noexcept : previous_(t_stop_flag) {
    t_stop_flag = &c.flag();
}

CancellationScope::~CancellationScope() {
    t_stop_flag = previous_;
}

const std::atomic<bool>& current_stop_flag() noexcept {
    return *t_stop_flag;
}

}  // namespace krnl::evm
