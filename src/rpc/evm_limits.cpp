#include "rpc/evm_limits.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <cstdio>

namespace krnl::rpc {

std::string go_duration(std::chrono::milliseconds d) {
    const int64_t ms = d.count();
    if (ms < 1000) return std::to_string(ms) + "ms";
    char buf[32];
    if (ms % 1000 == 0) {
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(ms / 1000));
    } else {
        std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ms) / 1000);
        std::string s(buf);
        while (s.back() == '0')
            s.pop_back();
        return s + "s";
    }
    return buf;
}

Result<void> check_override_code(
    const std::vector<std::pair<address, chain::AccountOverride>>& overrides, size_t limit) {
    size_t total = 0;
    for (const auto& [addr, ov] : overrides)
        if (ov.code) total += ov.code->size();
    if (total > limit)
        return std::unexpected(
            limit_error("state override code of " + std::to_string(total) + " bytes", limit,
                        "max_override_code_bytes"));
    return {};
}

// ---------------------------------------------------------------- DeadlineTimer

DeadlineTimer::DeadlineTimer(std::chrono::milliseconds idle_tick,
                             std::chrono::milliseconds busy_tick,
                             std::chrono::milliseconds busy_linger)
    : idle_tick_(idle_tick),
      busy_tick_(busy_tick),
      busy_linger_(busy_linger),
      thread_([this] { run(); }) {}

DeadlineTimer::~DeadlineTimer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

DeadlineTimer::Id DeadlineTimer::arm(evm::Cancellation& c,
                                     std::chrono::steady_clock::time_point deadline) {
    std::lock_guard lock(mutex_);
    const Id id = next_id_++;
    by_id_.emplace(id, armed_.emplace(deadline, std::make_pair(id, &c)));
    last_armed_ = std::chrono::steady_clock::now();
    if (deadline < wakes_at_) changed_.notify_all();
    return id;
}

void DeadlineTimer::disarm(Id id) {
    std::lock_guard lock(mutex_);
    if (const auto it = by_id_.find(id); it != by_id_.end()) {
        armed_.erase(it->second);
        by_id_.erase(it);
    }
}

void DeadlineTimer::run() {
    // With nothing armed the thread still wakes every idle tick, and every busy tick while
    // deadlines are being armed, so that arming a deadline later than that never has to wake it.
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        const auto now = std::chrono::steady_clock::now();
        if (!armed_.empty() && armed_.begin()->first <= now) {
            // Raised under the lock: disarm (which the owner calls before the cancellation
            // dies) cannot race with it.
            armed_.begin()->second.second->cancel();
            by_id_.erase(armed_.begin()->second.first);
            armed_.erase(armed_.begin());
            continue;
        }
        const auto tick = now - last_armed_ < busy_linger_ ? busy_tick_ : idle_tick_;
        wakes_at_ = armed_.empty() ? now + tick : std::min(armed_.begin()->first, now + tick);
        changed_.wait_until(lock, wakes_at_);
    }
}

// ---------------------------------------------------------------- EvmGate

EvmGate::EvmGate(const EvmAdmission& admission)
    : admission_(admission),
      max_concurrent_(admission.max_concurrent != 0
                          ? admission.max_concurrent
                          : std::clamp<size_t>(std::thread::hardware_concurrency(), 2, 8)) {}

RpcError EvmGate::busy() const {
    return {code::kLimitExceeded, "too many EVM calls at once: " + std::to_string(max_concurrent_) +
                                      " running, " + std::to_string(admission_.max_queued) +
                                      " waiting (limits.max_concurrent_evm_calls, "
                                      "limits.evm_call_queue); retry later"};
}

std::optional<EvmGate::Slot> EvmGate::try_enter() {
    std::lock_guard lock(mutex_);
    // Queued requests go first: a request arriving now must not overtake them.
    if (running_ >= max_concurrent_ || waiting_ > 0) return std::nullopt;
    ++running_;
    return Slot(this);
}

Result<EvmGate::Slot> EvmGate::enter() {
    std::unique_lock lock(mutex_);
    if (running_ < max_concurrent_) {
        ++running_;
        return Slot(this);
    }
    if (waiting_ >= admission_.max_queued) return std::unexpected(busy());
    ++waiting_;
    const bool admitted =
        freed_.wait_for(lock, admission_.max_wait, [&] { return running_ < max_concurrent_; });
    --waiting_;
    if (!admitted) return std::unexpected(busy());
    ++running_;
    return Slot(this);
}

EvmGate::Slot::~Slot() {
    if (gate_ == nullptr) return;
    {
        std::lock_guard lock(gate_->mutex_);
        --gate_->running_;
    }
    gate_->freed_.notify_one();
}

// ---------------------------------------------------------------- EvmRun

namespace {
// Threads that answer connections never run as batch work; other threads running the EVM turn
// to it once, at their first EvmRun, and stay so (two scheduler calls per request were a sixth
// of a cheap eth_call's CPU).
thread_local bool answers_connections = false;
thread_local bool runs_as_batch = false;
}  // namespace

void mark_connection_thread() {
    answers_connections = true;
}

namespace {
thread_local InlineBudget* current_budget = nullptr;
}  // namespace

InlineBudget::InlineBudget(std::chrono::milliseconds budget)
    : deadline_(std::chrono::steady_clock::now() + budget), previous_(current_budget) {
    current_budget = this;
}

InlineBudget::~InlineBudget() {
    current_budget = previous_;
}

InlineBudget* InlineBudget::current() {
    return current_budget;
}

EvmRun::EvmRun(DeadlineTimer& timer, std::chrono::milliseconds timeout)
    : timer_(timer), scope_(cancellation_) {
    auto deadline = timeout.count() > 0 ? std::chrono::steady_clock::now() + timeout
                                        : std::chrono::steady_clock::time_point::max();
    if (current_budget != nullptr && current_budget->deadline_ < deadline) {
        budget_ = current_budget;
        deadline = budget_->deadline_;
    }
    if (deadline != std::chrono::steady_clock::time_point::max())
        timer_id_ = timer_.arm(cancellation_, deadline);
    if (answers_connections || runs_as_batch) return;
    runs_as_batch = true;
    int policy = 0;
    sched_param param{};
    if (pthread_getschedparam(pthread_self(), &policy, &param) == 0 && policy == SCHED_OTHER) {
        sched_param batch{};
        pthread_setschedparam(pthread_self(), SCHED_BATCH, &batch);
    }
}

EvmRun::~EvmRun() {
    if (timer_id_ != 0) timer_.disarm(timer_id_);
    // Stopped at the budget's deadline (a tracer past its output bound stops a run too; running
    // that again on the pool reaches the same bound and answers the same).
    if (budget_ != nullptr && cancellation_.cancelled()) budget_->exceeded_ = true;
}

}  // namespace krnl::rpc
