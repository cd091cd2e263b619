// Running a call that is not a signed transaction: eth_call, eth_estimateGas, debug_traceCall and
// the engine's view calls. A call is turned into a transaction from `from` (unsigned, with the
// account's own nonce) and applied to a throwaway state, so it is charged and checked exactly as a
// mined transaction would be; when it names no fee, it pays none and sees a zero base fee, as geth
// does.
#pragma once

#include "chain/execution.hpp"

namespace krnl::chain {

struct CallRequest {
    std::optional<address> from;
    std::optional<address> to;
    std::optional<uint64_t> gas;
    std::optional<uint256> gas_price;
    std::optional<uint256> max_fee_per_gas;
    std::optional<uint256> max_priority_fee_per_gas;
    uint256 value;
    bytes data;
    std::optional<std::vector<AccessListEntry>> access_list;
    std::vector<Authorization> authorization_list;
};

struct AccountOverride {
    std::optional<uint256> balance;
    std::optional<uint64_t> nonce;
    std::optional<bytes> code;
    std::optional<std::vector<std::pair<uint256, uint256>>> state;       // replaces all storage
    std::optional<std::vector<std::pair<uint256, uint256>>> state_diff;  // changes some slots
};

struct BlockOverrides {
    std::optional<uint64_t> number;
    std::optional<uint64_t> time;
    std::optional<uint64_t> gas_limit;
    std::optional<address> coinbase;
    std::optional<hash256> prev_randao;
    std::optional<uint256> base_fee;
};

void apply_overrides(state::State& state,
                     const std::vector<std::pair<address, AccountOverride>>& o);
void apply_overrides(BlockInfo& block, const BlockOverrides& o);

struct CallOutcome {
    evm::StatusCode status = evm::StatusCode::Success;
    bytes output;
    uint64_t gas_used = 0;
    std::vector<Log> logs;
    Transaction tx;  // the transaction the call ran as (for tracers)
    address sender;
};

// `gas_cap` bounds the call's gas and is its default. Errors are transaction errors (intrinsic gas
// too low, insufficient funds, fee cap below the base fee...) with geth's messages.
// `keep_base_fee`: a call that pays no fee still sees the block's base fee (an explicit block
// override of it); it then bypasses the fee cap check the same way.
std::expected<CallOutcome, std::string> simulate_call(state::State& state, evm::Revision rev,
                                                      BlockInfo block, const CallRequest& request,
                                                      uint64_t gas_cap, evm::AnalysisCache& cache,
                                                      const BlockHashFn& block_hash,
                                                      evm::Tracer* tracer = nullptr,
                                                      bool keep_base_fee = false);

struct EstimateError {
    std::string message;
    std::optional<CallOutcome> reverted;  // the call reverts at the highest gas tried
};

// The least gas with which the call succeeds, by bisection between the
// gas it used and the cap. `fresh_state` makes a new state (with any overrides) per attempt.
std::expected<uint64_t, EstimateError> estimate_gas(
    const std::function<state::State()>& fresh_state, evm::Revision rev, const BlockInfo& block,
    const CallRequest& request, uint64_t gas_cap, evm::AnalysisCache& cache,
    const BlockHashFn& block_hash);

}  // namespace krnl::chain
