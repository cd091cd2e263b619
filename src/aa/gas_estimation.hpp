// eth_estimateUserOperationGas: the gas limits with which the op then succeeds. simulateHandleOp
// runs once with generous limits and zero fees (so no deposit is needed) while a tracer measures
// the EntryPoint's calls to the account, factory and paymaster; each limit is then what its call
// used with room for the 63/64 rule, checked by simulating again with the limits found (raised
// until the op passes). preVerificationGas covers calldata and the EntryPoint's per-op work, or the
// EIP-7623 floor where that is higher.
#pragma once

#include "aa/simulation.hpp"

namespace krnl::aa {

struct GasEstimate {
    uint256 pre_verification_gas;
    uint256 verification_gas_limit;
    uint256 call_gas_limit;
    std::optional<uint256> paymaster_verification_gas_limit;
    std::optional<uint256> paymaster_post_op_gas_limit;
};
json gas_estimate_json(const GasEstimate& estimate);

struct EstimationLimits {
    uint64_t max_verification_gas = 500'000;
    uint64_t max_call_gas =
        20'000'000;  // the generous first run's callGasLimit (capped by the block)
};

// `fresh_state` makes a new state of the head with the caller's overrides applied. A call that
// reverts even with generous limits is -32521 with the revert data; a validation that reverts is
// the simulation's error (-32500/-32501 with AAxx).
Result<GasEstimate> estimate_user_operation_gas(const EntryPointSimulator& simulator,
                                                const std::function<state::State()>& fresh_state,
                                                const SimulationEnv& env, UserOperation op,
                                                EntryPointVersion version,
                                                const EstimationLimits& limits);

}  // namespace krnl::aa
