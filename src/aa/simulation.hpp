// The EntryPoint's own simulation of a user operation, run on a snapshot: EntryPointSimulations'
// code is placed at the EntryPoint's address (a state override, as reference bundlers do), then
// simulateValidation or simulateHandleOp is called from the zero address. Reverts are turned into
// ERC-7769 errors with the EntryPoint's AAxx text.
#pragma once

#include "aa/entry_point.hpp"
#include "aa/user_operation_json.hpp"
#include "chain/simulation.hpp"
#include "evm/interpreter.hpp"

namespace krnl::aa {

// Where and on what a simulation runs.
struct SimulationEnv {
    evm::Revision rev = evm::Revision::Prague;
    chain::BlockInfo block;
    uint64_t gas_cap = 0;
    evm::AnalysisCache* cache = nullptr;
    chain::BlockHashFn block_hash;
};

class EntryPointSimulator {
public:
    EntryPointSimulator(bytes v07_code, bytes v08_code);

    // simulateValidation on `state` (changed by the run: pass a throwaway). A revert answers
    // -32500 (AA1x/AA2x: account and factory) or -32501 (AA3x: paymaster), with the
    // EntryPoint's reason and the entity's revert data.
    Result<ValidationResult> validate(state::State& state, const SimulationEnv& env,
                                      const UserOperation& op, EntryPointVersion version,
                                      evm::Tracer* tracer = nullptr) const;

    // simulateHandleOp: validation and execution. `logs` (when given) receives the run's logs:
    // the UserOperationEvent says whether the op's call succeeded.
    Result<ExecutionResult> execute(state::State& state, const SimulationEnv& env,
                                    const UserOperation& op, EntryPointVersion version,
                                    evm::Tracer* tracer = nullptr,
                                    std::vector<chain::Log>* logs = nullptr) const;

    // The code the simulation places at the EntryPoint (and the 7702 delegation of the sender).
    void prepare(state::State& state, const UserOperation& op, EntryPointVersion version) const;

private:
    Result<chain::CallOutcome> run(state::State& state, const SimulationEnv& env,
                                   const UserOperation& op, EntryPointVersion version,
                                   bytes call_data, evm::Tracer* tracer) const;

    bytes v07_code_;
    bytes v08_code_;
    // Hashed once: hashing 40 KiB of code per validation was a tenth of the bundler's time.
    hash256 v07_code_hash_;
    hash256 v08_code_hash_;
};

// An EntryPoint revert as the error a bundler client expects.
rpc::RpcError rejection_from_revert(bytes_view revert_data);

}  // namespace krnl::aa
