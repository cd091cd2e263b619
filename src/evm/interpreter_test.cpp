#include "evm/interpreter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "evm/cancellation.hpp"
#include "evm/mini_host_test_support.hpp"
#include "evm/precompiles.hpp"

using namespace krnl;
using namespace krnl::evm;

namespace {

using fake::MiniHost;

Result run(std::string_view hex_code, int64_t gas = 100000, Revision rev = Revision::Cancun) {
    MiniHost host;
    const bytes code = *from_hex(hex_code);
    CodeAnalysis analysis(code);
    Message msg;
    msg.gas = gas;
    return execute(host, rev, msg, analysis);
}

}  // namespace

TEST(Interpreter, AddAndReturn) {
    // PUSH1 2 PUSH1 3 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    const Result r = run("600260030160005260206000f3");
    ASSERT_EQ(r.status, StatusCode::Success);
    ASSERT_EQ(r.output.size(), 32u);
    EXPECT_EQ(r.output[31], 5);
    // 3+3+3 + 3 + (3 + 3 memory) + 3 + 3 + 0 = 24
    EXPECT_EQ(r.gas_left, 100000 - 24);
}

TEST(Interpreter, ExactOutOfGas) {
    EXPECT_EQ(run("600260030160005260206000f3", 24).status, StatusCode::Success);
    const Result r = run("600260030160005260206000f3", 23);
    EXPECT_EQ(r.status, StatusCode::OutOfGas);
    EXPECT_EQ(r.gas_left, 0);
}

TEST(Interpreter, StackUnderflowAndOverflow) {
    EXPECT_EQ(run("01").status, StatusCode::StackUnderflow);
    // JUMPDEST PUSH0 PUSH1 0 JUMP: pushes forever.
    EXPECT_EQ(run("5f5b5f600156", 10'000'000).status, StatusCode::StackOverflow);
}

TEST(Interpreter, JumpDestinations) {
    // PUSH1 4 JUMP INVALID JUMPDEST STOP
    EXPECT_EQ(run("600456fe5b00").status, StatusCode::Success);
    // A JUMPDEST byte inside PUSH data is not a destination: PUSH1 3 JUMP PUSH1 0x5b STOP
    EXPECT_EQ(run("600356605b00").status, StatusCode::BadJumpDestination);
}

TEST(Interpreter, RevisionGatesOpcodes) {
    EXPECT_EQ(run("5f00", 100, Revision::Shanghai).status, StatusCode::Success);
    EXPECT_EQ(run("5f00", 100, Revision::Paris).status, StatusCode::UndefinedInstruction);
    EXPECT_EQ(run("0c").status, StatusCode::UndefinedInstruction);
    EXPECT_EQ(run("fe").status, StatusCode::InvalidInstruction);
}

TEST(Interpreter, RevertKeepsGasAndOutput) {
    // PUSH1 0xaa PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 REVERT
    const Result r = run("60aa60005360016000fd");
    EXPECT_EQ(r.status, StatusCode::Revert);
    EXPECT_EQ(r.output, bytes{0xaa});
    EXPECT_GT(r.gas_left, 0);
}

TEST(Interpreter, PushAtEndOfCodeReadsZeros) {
    // PUSH2 with one byte of data left: the value is 0xff00, then the implicit STOP.
    const Result r = run("61ff");
    EXPECT_EQ(r.status, StatusCode::Success);
}

TEST(Interpreter, ReturnDataCopyOutOfBoundsIsExceptional) {
    // PUSH1 1 PUSH1 0 PUSH1 0 RETURNDATACOPY with no return data.
    EXPECT_EQ(run("6001600060003e").status, StatusCode::InvalidMemoryAccess);
}

// ---------------------------------------------------------------- cancellation

namespace {

// JUMPDEST PUSH1 0 JUMP: loops until the gas runs out, which at this gas is never.
constexpr std::string_view kJumpLoop = "5b600056";
// JUMPDEST PUSH1 1 PUSH1 0 JUMPI: the same through a taken JUMPI.
constexpr std::string_view kJumpiLoop = "5b6001600057";
constexpr int64_t kEndlessGas = INT64_MAX / 2;

Result run_cancelled_after_start(std::string_view hex_code) {
    Cancellation cancellation;
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        cancellation.cancel();
    });
    CancellationScope scope(cancellation);
    Result r = run(hex_code, kEndlessGas);
    stopper.join();
    return r;
}

}  // namespace

TEST(Cancellation, StopsALoopOfJumps) {
    // Without the check at JUMP this never returns.
    const Result r = run_cancelled_after_start(kJumpLoop);
    EXPECT_EQ(r.status, StatusCode::OutOfGas);
    EXPECT_EQ(r.gas_left, 0);
}

TEST(Cancellation, StopsALoopOfTakenJumpis) {
    const Result r = run_cancelled_after_start(kJumpiLoop);
    EXPECT_EQ(r.status, StatusCode::OutOfGas);
}

TEST(Cancellation, AFrameEnteredAfterTheStopFailsAtOnce) {
    Cancellation cancellation;
    cancellation.cancel();
    CancellationScope scope(cancellation);
    MiniHost host;
    // PUSH1 1 PUSH1 0 SSTORE STOP: a frame that ran would write the slot.
    const bytes code = *from_hex("6001600055");
    CodeAnalysis analysis(code);
    Message msg;
    msg.gas = 100000;
    const Result r = execute(host, Revision::Cancun, msg, analysis);
    EXPECT_EQ(r.status, StatusCode::OutOfGas);
    EXPECT_TRUE(host.storage.empty());
}

TEST(Cancellation, APrecompileDoesNotRunOnceStopped) {
    const bytes input(32, 0x11);
    const address identity =
        address::from_view(*from_hex("0000000000000000000000000000000000000004"));
    EXPECT_TRUE(run_precompile(identity, input, 1000, Revision::Cancun).success);
    Cancellation cancellation;
    cancellation.cancel();
    CancellationScope scope(cancellation);
    const PrecompileResult p = run_precompile(identity, input, 1000, Revision::Cancun);
    EXPECT_FALSE(p.success);
    EXPECT_EQ(p.gas_used, 1000);
}

TEST(Cancellation, OnlyTheInnermostScopeOnThisThreadCounts) {
    Cancellation stopped;
    stopped.cancel();
    // A raised flag that no scope names stops nothing (blocks are never cancelled).
    EXPECT_EQ(run("600260030160005260206000f3").status, StatusCode::Success);
    {
        CancellationScope outer(stopped);
        EXPECT_TRUE(stop_requested());
        Cancellation running;
        {
            CancellationScope inner(running);
            EXPECT_FALSE(stop_requested());
            EXPECT_EQ(run("600260030160005260206000f3").status, StatusCode::Success);
        }
        EXPECT_TRUE(stop_requested());
        // Another thread has no scope at all.
        bool other_thread_stopped = true;
        std::thread([&] { other_thread_stopped = stop_requested(); }).join();
        EXPECT_FALSE(other_thread_stopped);
    }
    EXPECT_FALSE(stop_requested());
}
