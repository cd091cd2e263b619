// Bounds on the EVM work a caller can ask of the node (eth_call, eth_estimateGas,
// eth_createAccessList, debug_trace*): a time limit per request, a bound on how many run at once,
// trace output caps, transaction and override sizes. Mined transactions are never subject to
// them: only simulation on behalf of an RPC caller is.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "chain/simulation.hpp"
#include "evm/cancellation.hpp"
#include "rpc/json_rpc.hpp"

namespace krnl::rpc {

struct EvmLimits {
    // One request's EVM time, all its executions together (geth's RPCEVMTimeout); 0: none.
    std::chrono::milliseconds timeout{5000};
    // The struct logger's output: entries, and bytes of JSON (estimated as they are recorded).
    // Sized so that a 1M-gas transaction traces with the default options.
    uint64_t trace_max_steps = 1'000'000;
    uint64_t trace_max_bytes = uint64_t{128} << 20;
    // An encoded transaction (geth's txMaxSize).
    size_t max_tx_bytes = 128 << 10;
    // The code of state overrides, all accounts of one request together.
    size_t max_override_code_bytes = 1 << 20;
};

// How many EVM requests (MethodTable::add_evm) a port runs at once, and how many wait for a turn;
// past both, -32005 at once. More than the cores adds no throughput to CPU-bound work, only delay
// to everything else.
struct EvmAdmission {
    size_t max_concurrent = 0;  // 0: as many as the machine has cores, 2 to 8
    size_t max_queued = 16;
    std::chrono::milliseconds max_wait{5000};  // a queued request waits at most this long
};

// "5s", "1.5s", "250ms": a duration as geth (Go) prints it in its messages.
std::string go_duration(std::chrono::milliseconds d);

// Refuses state overrides whose code, all accounts together, passes `limit` (-32005 naming
// limits.max_override_code_bytes): override code is analysed and cached like deployed code.
Result<void> check_override_code(
    const std::vector<std::pair<address, chain::AccountOverride>>& overrides, size_t limit);

// Raises cancellations when their deadlines pass, from one thread of its own. Arming costs a lock,
// and wakes that thread only when it sleeps past the new deadline: while deadlines are being
// armed (within the last `busy_linger`) it wakes every `busy_tick` (so a deadline a few ticks away,
// an inline budget, needs no wake-up, and fires at most a tick late), and otherwise sleeps until
// the earliest deadline or an idle tick (every request of a chain has the same timeout, so a new
// deadline is nearly always the latest).
class DeadlineTimer {
public:
    explicit DeadlineTimer(std::chrono::milliseconds idle_tick = std::chrono::seconds(1),
                           std::chrono::milliseconds busy_tick = std::chrono::milliseconds(1),
                           std::chrono::milliseconds busy_linger = std::chrono::milliseconds(200));
    ~DeadlineTimer();
    DeadlineTimer(const DeadlineTimer&) = delete;
    DeadlineTimer& operator=(const DeadlineTimer&) = delete;

    using Id = uint64_t;
    // `c` must stay alive until `disarm(id)` returns.
    Id arm(evm::Cancellation& c, std::chrono::steady_clock::time_point deadline);
    void disarm(Id id);

private:
    void run();

    std::mutex mutex_;
    std::condition_variable changed_;
    std::multimap<std::chrono::steady_clock::time_point, std::pair<Id, evm::Cancellation*>> armed_;
    std::unordered_map<Id, decltype(armed_)::iterator> by_id_;
    std::chrono::steady_clock::time_point wakes_at_ = std::chrono::steady_clock::time_point::max();
    std::chrono::steady_clock::time_point last_armed_{};
    Id next_id_ = 1;
    const std::chrono::milliseconds idle_tick_;
    const std::chrono::milliseconds busy_tick_;
    const std::chrono::milliseconds busy_linger_;
    bool stopping_ = false;
    std::thread thread_;
};

// Admission of EVM requests: `max_concurrent` run, `max_queued` wait their turn (for at most
// `max_wait`), the rest are refused at once. The server enters it before it runs a request that
// calls an EVM method: on the I/O thread that read it when a slot is free at once (try_enter), or
// on its blocking pool, where waiting for a slot holds no I/O thread (enter).
class EvmGate {
public:
    explicit EvmGate(const EvmAdmission& admission);

    class Slot {
    public:
        explicit Slot(EvmGate* gate) : gate_(gate) {}
        Slot(Slot&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
        Slot& operator=(Slot&&) = delete;
        ~Slot();

    private:
        EvmGate* gate_;
    };
    // A slot if one is free now, without waiting.
    std::optional<Slot> try_enter();
    // A slot, waiting up to max_wait among at most max_queued others; -32005 otherwise.
    Result<Slot> enter();
    size_t max_concurrent() const { return max_concurrent_; }

private:
    RpcError busy() const;

    const EvmAdmission admission_;
    const size_t max_concurrent_;
    std::mutex mutex_;
    std::condition_variable freed_;
    size_t running_ = 0;
    size_t waiting_ = 0;
};

// One EVM request while it runs: a cancellation raised at its deadline and in scope on this thread
// (every execution the request starts here stops once it is raised). A thread that runs EVM
// requests off the connections' threads (the blocking pool, the bundler) runs as batch work
// (SCHED_BATCH) from its first one on, so the threads answering requests win the CPU when they
// wake; those threads (mark_connection_thread) keep their class.
void mark_connection_thread();

class InlineBudget;

class EvmRun {
public:
    EvmRun(DeadlineTimer& timer, std::chrono::milliseconds timeout);
    ~EvmRun();
    EvmRun(const EvmRun&) = delete;
    EvmRun& operator=(const EvmRun&) = delete;

    evm::Cancellation& cancellation() { return cancellation_; }

private:
    DeadlineTimer& timer_;
    evm::Cancellation cancellation_;
    DeadlineTimer::Id timer_id_ = 0;
    InlineBudget* budget_ = nullptr;  // the budget it was armed for, when that came first
    evm::CancellationScope scope_;
};

// A short time budget for the EVM requests a server tries on the I/O thread that read them.
// While one is in scope on a thread, each EvmRun there stops at the budget's deadline when that
// comes before its own, and the budget records that it was exceeded: the server then drops the
// answer and runs the request again on its pool, under the full time limit. So a long call holds
// up the other connections of an I/O thread for no more than the budget (plus the timer's tick),
// and a short one, nearly every call, saves the two thread hops of the pool. Only requests that
// change nothing are tried so (MethodTable::add_evm): running one twice answers the same.
class InlineBudget {
public:
    explicit InlineBudget(std::chrono::milliseconds budget);
    ~InlineBudget();
    InlineBudget(const InlineBudget&) = delete;
    InlineBudget& operator=(const InlineBudget&) = delete;

    bool exceeded() const { return exceeded_; }
    // The budget in scope on this thread, or null.
    static InlineBudget* current();

private:
    friend class EvmRun;
    std::chrono::steady_clock::time_point deadline_;
    bool exceeded_ = false;
    InlineBudget* previous_;
};

}  // namespace krnl::rpc
