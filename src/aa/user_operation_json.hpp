// The RPC form of user operations (ERC-7769, EntryPoint v0.7 and v0.8: unpacked fields, quantities
// and data as hex) and the bundler's error codes.
#pragma once

#include "aa/user_operation.hpp"
#include "rpc/params.hpp"

namespace krnl::aa {

using rpc::json;
using rpc::Result;

// ERC-7769's error codes (besides -32602 for bad params).
namespace code {
inline constexpr int kRejectedByEntryPoint = -32500;  // validation reverted: AAxx text
inline constexpr int kRejectedByPaymaster = -32501;   // paymaster validation or deposit
inline constexpr int kBannedOpcode = -32502;          // an ERC-7562 opcode or storage rule
inline constexpr int kShortDeadline = -32503;         // validUntil/validAfter out of range
inline constexpr int kBannedOrThrottled = -32504;     // an entity's reputation
inline constexpr int kStakeTooLow = -32505;           // a rule needs stake the entity lacks
inline constexpr int kUnsupportedAggregator = -32506;
inline constexpr int kInvalidSignature = -32507;  // signature check failed (SIG_VALIDATION_FAILED)
inline constexpr int kPaymasterDepositTooLow = -32508;
inline constexpr int kExecutionReverted = -32521;  // the op's call would revert
}  // namespace code

enum class GasFields : uint8_t {
    Required,  // eth_sendUserOperation: every gas and fee field must be present
    Optional,  // eth_estimateUserOperationGas: missing gas fields are 0 (the node fills them)
};

// An op from its JSON object; errors are -32602 naming the field ("callGasLimit: ...").
Result<UserOperation> parse_user_operation(const json& v, GasFields gas_fields);
json user_operation_json(const UserOperation& op);

}  // namespace krnl::aa
