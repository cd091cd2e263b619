#include "rpc/evm_limits.hpp"

#include <gtest/gtest.h>

#include <thread>

using namespace krnl;
using namespace krnl::rpc;
using namespace std::chrono_literals;

TEST(EvmLimits, DurationsAsGethPrintsThem) {
    EXPECT_EQ(go_duration(5000ms), "5s");
    EXPECT_EQ(go_duration(1500ms), "1.5s");
    EXPECT_EQ(go_duration(100ms), "100ms");
}

TEST(EvmLimits, TheTimerRaisesACancellationAtItsDeadlineUnlessDisarmed) {
    DeadlineTimer timer;
    evm::Cancellation late, disarmed;
    timer.arm(late, std::chrono::steady_clock::now() + 10ms);
    timer.disarm(timer.arm(disarmed, std::chrono::steady_clock::now() + 10ms));
    while (!late.cancelled())
        std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(20ms);
    EXPECT_FALSE(disarmed.cancelled());
}

TEST(EvmLimits, TheGateAdmitsSomeQueuesSomeAndRefusesTheRest) {
    EvmAdmission admission;
    admission.max_concurrent = 1;
    admission.max_queued = 1;
    admission.max_wait = 50ms;
    EvmGate gate(admission);
    auto first = gate.enter();
    ASSERT_TRUE(first.has_value());
    // One waits (and gives up after the time limit), a third is refused at once.
    std::optional<Result<EvmGate::Slot>> waited;
    std::thread waiter([&] { waited.emplace(gate.enter()); });
    std::this_thread::sleep_for(10ms);
    auto refused = gate.enter();
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().code, code::kLimitExceeded);
    EXPECT_NE(refused.error().message.find("limits.max_concurrent_evm_calls"), std::string::npos);
    waiter.join();
    EXPECT_FALSE(waited->has_value());
    // A slot given back admits the next.
    { auto drop = std::move(*first); }
    EXPECT_TRUE(gate.enter().has_value());
}

TEST(EvmLimits, TryEnterTakesAFreeSlotButNeverOvertakesAQueue) {
    EvmAdmission admission;
    admission.max_concurrent = 1;
    admission.max_queued = 1;
    admission.max_wait = 200ms;
    EvmGate gate(admission);
    auto first = gate.try_enter();
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(gate.try_enter().has_value());  // the one slot is taken
    std::optional<Result<EvmGate::Slot>> waited;
    std::thread waiter([&] { waited.emplace(gate.enter()); });
    std::this_thread::sleep_for(20ms);
    first.reset();
    // The queued request is woken; try_enter gets nothing while it waits or runs.
    EXPECT_FALSE(gate.try_enter().has_value());
    waiter.join();
    ASSERT_TRUE(waited->has_value());
    waited.reset();
    EXPECT_TRUE(gate.try_enter().has_value());
}

TEST(EvmLimits, ADeadlineShorterThanTheIdleTickWakesTheTimer) {
    DeadlineTimer timer(std::chrono::hours(1));
    std::this_thread::sleep_for(20ms);  // the timer sleeps its idle tick
    evm::Cancellation soon;
    const auto armed_at = std::chrono::steady_clock::now();
    timer.arm(soon, armed_at + 30ms);
    while (!soon.cancelled())
        std::this_thread::sleep_for(1ms);
    // Raised at its deadline, not at the end of the hour-long tick.
    EXPECT_LT(std::chrono::steady_clock::now() - armed_at, std::chrono::minutes(1));
}

TEST(EvmLimits, ARunPutsItsCancellationInScopeUntilItEnds) {
    DeadlineTimer timer;
    {
        EvmRun run(timer, 10ms);
        while (!evm::stop_requested())
            std::this_thread::sleep_for(1ms);
        EXPECT_TRUE(run.cancellation().cancelled());
    }
    EXPECT_FALSE(evm::stop_requested());
}

TEST(EvmLimits, AnInlineBudgetStopsARunAndRecordsThatItWasExceeded) {
    DeadlineTimer timer;
    InlineBudget budget(5ms);
    EXPECT_EQ(InlineBudget::current(), &budget);
    {
        EvmRun run(timer, 5000ms);  // its own limit is far later: the budget's deadline counts
        while (!evm::stop_requested())
            std::this_thread::sleep_for(1ms);
    }
    EXPECT_TRUE(budget.exceeded());
}

TEST(EvmLimits, ARunThatEndsWithinItsInlineBudgetLeavesItUnexceeded) {
    DeadlineTimer timer;
    InlineBudget budget(std::chrono::hours(1));
    { EvmRun run(timer, 5000ms); }
    EXPECT_FALSE(budget.exceeded());
}

TEST(EvmLimits, ARunWhoseOwnLimitComesFirstDoesNotExceedTheBudget) {
    // Stopped by its own time limit: the answer is that limit's error, not a retry on the pool.
    DeadlineTimer timer;
    InlineBudget budget(std::chrono::hours(1));
    {
        EvmRun run(timer, 5ms);
        while (!evm::stop_requested())
            std::this_thread::sleep_for(1ms);
    }
    EXPECT_FALSE(budget.exceeded());
}

TEST(EvmLimits, TheBudgetIsOnlyInScopeOnItsThreadAndUntilItEnds) {
    {
        InlineBudget budget(5ms);
        InlineBudget* seen = &budget;
        std::thread([&] { seen = InlineBudget::current(); }).join();
        EXPECT_EQ(seen, nullptr);
    }
    EXPECT_EQ(InlineBudget::current(), nullptr);
}

TEST(EvmLimits, WhileBusyTheTimerRaisesANearDeadlineWithinATick) {
    // Deadlines armed in a stream keep the timer on its busy tick, and a deadline after its next
    // tick does not wake it: the tick itself must raise it.
    DeadlineTimer timer(std::chrono::hours(1), 1ms, std::chrono::hours(1));
    evm::Cancellation first;
    timer.arm(first, std::chrono::steady_clock::now() + 1ms);
    while (!first.cancelled())
        std::this_thread::sleep_for(1ms);
    evm::Cancellation near;
    const auto armed_at = std::chrono::steady_clock::now();
    timer.arm(near, armed_at + 2ms);
    while (!near.cancelled())
        std::this_thread::sleep_for(1ms);
    EXPECT_LT(std::chrono::steady_clock::now() - armed_at, std::chrono::minutes(1));
}
