#include "chain/simulation.hpp"

#include <gtest/gtest.h>

using namespace krnl;
using namespace krnl::chain;
using evm::Revision;

namespace {

address contract_address() {
    address a;
    a.bytes[19] = 0x40;  // clear of the precompiles (0x01-0x11)
    return a;
}

// A contract that returns the gas it was given (GAS PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN).
state::State state_with_gas_reporter() {
    state::State st;
    state::Account contract;
    contract.set_code(*from_hex("5a60005260206000f3"));
    st.put(contract_address(), std::move(contract));
    return st;
}

BlockInfo block() {
    BlockInfo b;
    b.number = 1;
    b.timestamp = 1000;
    b.gas_limit = 60'000'000;
    b.chain_id = 1;
    return b;
}

constexpr uint64_t kNodeGasCap = 50'000'000;

}  // namespace

TEST(Simulation, OsakaCapsCallGasAtTheTransactionLimit) {
    CallRequest request;
    request.to = contract_address();
    evm::AnalysisCache cache;

    state::State prague_state = state_with_gas_reporter();
    auto prague =
        simulate_call(prague_state, Revision::Prague, block(), request, kNodeGasCap, cache, {});
    ASSERT_TRUE(prague.has_value()) << prague.error();
    EXPECT_EQ(prague->tx.gas_limit, kNodeGasCap);

    // The node's default cap is above EIP-7825's, so an Osaka call without gas gets 2^24 rather
    // than "transaction gas limit too high"; so does one that asks for more.
    for (const std::optional<uint64_t> gas :
         {std::optional<uint64_t>{}, std::optional{kNodeGasCap}}) {
        request.gas = gas;
        state::State st = state_with_gas_reporter();
        auto osaka = simulate_call(st, Revision::Osaka, block(), request, kNodeGasCap, cache, {});
        ASSERT_TRUE(osaka.has_value()) << osaka.error();
        EXPECT_EQ(osaka->status, evm::StatusCode::Success);
        EXPECT_EQ(osaka->tx.gas_limit, kMaxTxGasLimitOsaka);
    }

    request.gas.reset();
    auto estimate = estimate_gas([] { return state_with_gas_reporter(); }, Revision::Osaka, block(),
                                 request, kNodeGasCap, cache, {});
    ASSERT_TRUE(estimate.has_value()) << estimate.error().message;
    EXPECT_GT(*estimate, 21'000u);
    EXPECT_LE(*estimate, kMaxTxGasLimitOsaka);
}
