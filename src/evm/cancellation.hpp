// Stopping an execution from outside it: RPC simulation past its time limit, a tracer past its
// output bound. Never used for blocks: a mined transaction runs to its end.
//
// Design. A stop flag (one atomic bool) is read with a relaxed load where execution can go on
// for long: at every JUMP and taken JUMPI (every loop passes one), at the entry of every call or
// create frame (recursion without loops), and before a precompile runs (the one long step that is
// not a loop of instructions). Straight-line code between these points is bounded by the code size,
// so a raised flag stops execution within microseconds. The flag is found through a thread-local
// scope rather than a parameter: the interpreter reads it once per frame (not per instruction),
// and no signature between the RPC method and the interpreter has to carry it. The cost on the
// hot path is one load and a predictable branch per jump. Something else (a timer thread, a
// tracer) raises the flag; the interpreter never reads a clock.
//
// A stopped frame fails as out of gas, so every frame above it unwinds at its next check; the
// caller that set up the scope asks `cancelled()` afterwards and reports its own error instead of
// the result.
#pragma once

#include <atomic>

namespace krnl::evm {

class Cancellation {
public:
    Cancellation() = default;
    Cancellation(const Cancellation&) = delete;
    Cancellation& operator=(const Cancellation&) = delete;

    // Safe from any thread, any number of times.
    void cancel() noexcept { stopped_.store(true, std::memory_order_relaxed); }
    bool cancelled() const noexcept { return stopped_.load(std::memory_order_relaxed); }
    const std::atomic<bool>& flag() const noexcept { return stopped_; }

private:
    std::atomic<bool> stopped_{false};
};

// While alive, executions on this thread stop soon after `c` is cancelled. Scopes nest; the
// innermost one counts. Outside every scope executions are never stopped.
class CancellationScope {
public:
    explicit CancellationScope(const Cancellation& c) noexcept;
    ~CancellationScope();
    CancellationScope(const CancellationScope&) = delete;
    CancellationScope& operator=(const CancellationScope&) = delete;

private:
    const std::atomic<bool>* previous_;
};

// The flag of the innermost scope on this thread (a flag never raised outside every scope).
const std::atomic<bool>& current_stop_flag() noexcept;

// Whether the execution on this thread has been asked to stop.
inline bool stop_requested() noexcept {
    return current_stop_flag().load(std::memory_order_relaxed);
}

}  // namespace krnl::evm
