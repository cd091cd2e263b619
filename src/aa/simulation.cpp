#include "aa/simulation.hpp"

#include "aa/account_errors.hpp"
#include "common/abi.hpp"
#include "common/keccak.hpp"

namespace krnl::aa {
namespace {

rpc::RpcError failed(int code, std::string message, std::optional<json> data = std::nullopt) {
    return rpc::RpcError{code, std::move(message), std::move(data)};
}

}  // namespace

rpc::RpcError rejection_from_revert(bytes_view revert_data) {
    if (auto op = decode_failed_op(revert_data)) {
        std::string message = op->reason;
        if (!op->inner.empty()) {
            if (auto inner = abi::revert_reason_text(op->inner))
                message += ": " + *inner;
            else if (auto named = abi::custom_error_text(op->inner, kAccountErrors))
                message += ": " + *named;
        }
        json data = {{"reason", op->reason}};
        if (!op->inner.empty()) data["revertData"] = rpc::to_data(op->inner);
        // AA3x are the paymaster's (AA31: its deposit), as the reference bundler answers them.
        const int error_code = op->reason.starts_with("AA3") ? code::kRejectedByPaymaster
                                                             : code::kRejectedByEntryPoint;
        return failed(error_code, message, data);
    }
    std::string message = "validation reverted";
    if (auto reason = abi::revert_reason_text(revert_data)) message += ": " + *reason;
    return failed(code::kRejectedByEntryPoint, message,
                  json{{"revertData", rpc::to_data(revert_data)}});
}

EntryPointSimulator::EntryPointSimulator(bytes v07_code, bytes v08_code)
    : v07_code_(std::move(v07_code)),
      v08_code_(std::move(v08_code)),
      v07_code_hash_(keccak256(v07_code_)),
      v08_code_hash_(keccak256(v08_code_)) {}

void EntryPointSimulator::prepare(state::State& state, const UserOperation& op,
                                  EntryPointVersion version) const {
    // State overrides as chain::apply_overrides makes them (outside any transaction's journal),
    // with the simulation code's hash known.
    state::Account& entry_point = state.get_or_create(entry_point_address(version));
    const bool v07 = version == EntryPointVersion::V07;
    entry_point.code = v07 ? v07_code_ : v08_code_;
    entry_point.code_hash = v07 ? v07_code_hash_ : v08_code_hash_;
    if (op.eip7702_auth) {
        // The bundle carries the authorization; the simulation sees its effect.
        bytes delegation{0xef, 0x01, 0x00};
        delegation.append(op.eip7702_auth->delegate.bytes, 20);
        state.get_or_create(op.sender).set_code(std::move(delegation));
    }
    state.finalize_transaction(false);
}

Result<chain::CallOutcome> EntryPointSimulator::run(state::State& state, const SimulationEnv& env,
                                                    const UserOperation& op,
                                                    EntryPointVersion version, bytes call_data,
                                                    evm::Tracer* tracer) const {
    prepare(state, op, version);
    chain::CallRequest request;
    request.from = address{};
    request.to = entry_point_address(version);
    request.gas = env.gas_cap;
    request.data = std::move(call_data);
    auto out = chain::simulate_call(state, env.rev, env.block, request, env.gas_cap, *env.cache,
                                    env.block_hash, tracer);
    if (!out) return std::unexpected(failed(rpc::code::kInternalError, out.error()));
    if (out->status == evm::StatusCode::Revert)
        return std::unexpected(rejection_from_revert(out->output));
    if (out->status != evm::StatusCode::Success)
        return std::unexpected(failed(code::kRejectedByEntryPoint,
                                      out->status == evm::StatusCode::OutOfGas
                                          ? "simulation ran out of gas"
                                          : "simulation failed: invalid opcode or stack error"));
    return std::move(*out);
}

Result<ValidationResult> EntryPointSimulator::validate(state::State& state,
                                                       const SimulationEnv& env,
                                                       const UserOperation& op,
                                                       EntryPointVersion version,
                                                       evm::Tracer* tracer) const {
    auto packed = pack(op);
    if (!packed) return std::unexpected(failed(rpc::code::kInvalidParams, packed.error()));
    KRNL_RPC_TRY(outcome,
                 run(state, env, op, version, encode_simulate_validation(*packed), tracer));
    auto result = decode_validation_result(outcome.output);
    if (!result) return std::unexpected(failed(rpc::code::kInternalError, result.error()));
    return std::move(*result);
}

Result<ExecutionResult> EntryPointSimulator::execute(state::State& state, const SimulationEnv& env,
                                                     const UserOperation& op,
                                                     EntryPointVersion version, evm::Tracer* tracer,
                                                     std::vector<chain::Log>* logs) const {
    auto packed = pack(op);
    if (!packed) return std::unexpected(failed(rpc::code::kInvalidParams, packed.error()));
    KRNL_RPC_TRY(outcome, run(state, env, op, version,
                              encode_simulate_handle_op(*packed, address{}, {}), tracer));
    auto result = decode_execution_result(outcome.output);
    if (!result) return std::unexpected(failed(rpc::code::kInternalError, result.error()));
    if (logs != nullptr) *logs = std::move(outcome.logs);
    return std::move(*result);
}

}  // namespace krnl::aa
