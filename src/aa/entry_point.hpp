// The EntryPoint's ABI as the bundler uses it (identical for v0.7 and v0.8): handleOps, the
// simulation entry points of EntryPointSimulations, its errors and events, and validation data.
#pragma once

#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "aa/user_operation.hpp"

namespace krnl::aa {

bytes encode_handle_ops(const std::vector<PackedUserOperation>& ops, const address& beneficiary);
bytes encode_simulate_validation(const PackedUserOperation& op);
bytes encode_simulate_handle_op(const PackedUserOperation& op, const address& target,
                                bytes_view target_call_data);
bytes encode_get_nonce(const address& sender, const uint256& key);
bytes encode_balance_of(const address& account);
bytes encode_get_deposit_info(const address& account);

// An entity's stake in the EntryPoint (its unstake delay is a uint32 there).
struct StakeInfo {
    uint256 stake;
    uint64_t unstake_delay_sec = 0;
};

// getDepositInfo's answer.
struct DepositInfo {
    uint256 deposit;
    bool staked = false;
    StakeInfo stake;
    uint64_t withdraw_time = 0;
};

// validationData: aggregator (or 1 = signature failed) in the low 160 bits, then validUntil and
// validAfter (48 bits each). validUntil 0 means no expiry.
struct ValidationData {
    address aggregator;
    bool signature_failed = false;
    uint64_t valid_until = 0;
    uint64_t valid_after = 0;
};
ValidationData parse_validation_data(const uint256& packed);

struct ValidationResult {
    uint256 pre_op_gas;
    uint256 prefund;
    ValidationData account;
    ValidationData paymaster;
    bytes paymaster_context;
    StakeInfo sender_info, factory_info, paymaster_info;
    address aggregator;
    StakeInfo aggregator_info;
};
std::expected<ValidationResult, std::string> decode_validation_result(bytes_view output);

struct ExecutionResult {
    uint256 pre_op_gas;
    uint256 paid;
    ValidationData account;
    ValidationData paymaster;
    bool target_success = false;
    bytes target_result;
};
std::expected<ExecutionResult, std::string> decode_execution_result(bytes_view output);
std::expected<DepositInfo, std::string> decode_deposit_info(bytes_view output);

// A revert of the EntryPoint: FailedOp(opIndex, "AAxx ..."), FailedOpWithRevert (with the inner
// revert data), or anything else (a plain Error(string), a panic, raw bytes).
struct FailedOp {
    uint256 op_index;
    std::string reason;  // "AA23 reverted", ...
    bytes inner;         // FailedOpWithRevert's revert data of the entity
};
std::optional<FailedOp> decode_failed_op(bytes_view revert_data);

// Events the receipts report.
extern const hash256 kUserOperationEventTopic;
extern const hash256 kUserOperationRevertReasonTopic;
extern const hash256 kAccountDeployedTopic;
extern const hash256 kBeforeExecutionTopic;

struct UserOperationEvent {
    hash256 user_op_hash;
    address sender;
    address paymaster;
    uint256 nonce;
    bool success = false;
    uint256 actual_gas_cost;
    uint256 actual_gas_used;
};
// From a log's topics and data; nullopt when it is not a UserOperationEvent.
std::optional<UserOperationEvent> decode_user_operation_event(std::span<const hash256> topics,
                                                              bytes_view data);
// UserOperationRevertReason's revert data, from the log data.
std::optional<bytes> decode_revert_reason_event(bytes_view data);

}  // namespace krnl::aa
