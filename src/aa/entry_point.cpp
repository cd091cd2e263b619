#include "aa/entry_point.hpp"

#include <cstring>

#include "common/abi.hpp"
#include "common/keccak.hpp"

namespace krnl::aa {
namespace {

constexpr const char* kPackedOp = kPackedUserOperationType;

bytes call(const std::string& signature, std::vector<abi::Value> args) {
    auto out = abi::encode_call(signature, args);
    return std::move(*out);  // the argument types are fixed here: encoding cannot fail
}

const uint256& word(const abi::Value& v) {
    return std::get<uint256>(v.data);
}
const abi::ValueList& list(const abi::Value& v) {
    return std::get<abi::ValueList>(v.data);
}

StakeInfo stake_info(const abi::Value& v) {
    const auto& l = list(v);
    const uint256& delay = word(l[1]);
    return {word(l[0]), delay > uint256(~uint64_t{0}) ? ~uint64_t{0} : delay.w[0]};
}

hash256 topic(std::string_view signature) {
    return keccak256(as_bytes(signature));
}

}  // namespace

const hash256 kUserOperationEventTopic =
    topic("UserOperationEvent(bytes32,address,address,uint256,bool,uint256,uint256)");
const hash256 kUserOperationRevertReasonTopic =
    topic("UserOperationRevertReason(bytes32,address,uint256,bytes)");
const hash256 kAccountDeployedTopic = topic("AccountDeployed(bytes32,address,address,address)");
const hash256 kBeforeExecutionTopic = topic("BeforeExecution()");

bytes encode_handle_ops(const std::vector<PackedUserOperation>& ops, const address& beneficiary) {
    abi::ValueList values;
    values.reserve(ops.size());
    for (const auto& op : ops)
        values.push_back(packed_abi_value(op));
    return call(std::string("handleOps(") + kPackedOp + "[],address)",
                {abi::Value(std::move(values)), abi::Value(beneficiary)});
}

bytes encode_simulate_validation(const PackedUserOperation& op) {
    return call(std::string("simulateValidation(") + kPackedOp + ")", {packed_abi_value(op)});
}

bytes encode_simulate_handle_op(const PackedUserOperation& op, const address& target,
                                bytes_view target_call_data) {
    return call(std::string("simulateHandleOp(") + kPackedOp + ",address,bytes)",
                {packed_abi_value(op), abi::Value(target), abi::Value(bytes(target_call_data))});
}

bytes encode_get_nonce(const address& sender, const uint256& key) {
    return call("getNonce(address,uint192)", {abi::Value(sender), abi::Value(key)});
}

bytes encode_balance_of(const address& account) {
    return call("balanceOf(address)", {abi::Value(account)});
}

bytes encode_get_deposit_info(const address& account) {
    return call("getDepositInfo(address)", {abi::Value(account)});
}

std::expected<DepositInfo, std::string> decode_deposit_info(bytes_view output) {
    static const auto types = *abi::parse_types("((uint256,bool,uint112,uint32,uint48))");
    auto decoded = abi::decode(types, output);
    if (!decoded) return std::unexpected("getDepositInfo returned " + decoded.error());
    const auto& r = list((*decoded)[0]);
    DepositInfo d;
    d.deposit = word(r[0]);
    d.staked = std::get<bool>(r[1].data);
    d.stake.stake = word(r[2]);
    d.stake.unstake_delay_sec = word(r[3]).w[0];
    d.withdraw_time = word(r[4]).w[0];
    return d;
}

ValidationData parse_validation_data(const uint256& packed) {
    ValidationData d;
    d.aggregator = address::from_view((packed & ((uint256(1) << 160) - 1)).to_bytes32().view());
    d.signature_failed = d.aggregator == address::from_view(uint256(1).to_bytes32().view());
    d.valid_until = ((packed >> 160) & uint256(0xffffffffffff)).w[0];
    d.valid_after = ((packed >> 208) & uint256(0xffffffffffff)).w[0];
    return d;
}

std::expected<ValidationResult, std::string> decode_validation_result(bytes_view output) {
    // One return value, a tuple: the list's parentheses around the tuple's own.
    static const auto types = *abi::parse_types(
        "(((uint256,uint256,uint256,uint256,bytes),(uint256,uint256),(uint256,uint256),"
        "(uint256,uint256),(address,(uint256,uint256))))");
    auto decoded = abi::decode(types, output);
    if (!decoded) return std::unexpected("simulateValidation returned " + decoded.error());
    const auto& r = list((*decoded)[0]);
    const auto& ret = list(r[0]);
    ValidationResult v;
    v.pre_op_gas = word(ret[0]);
    v.prefund = word(ret[1]);
    v.account = parse_validation_data(word(ret[2]));
    v.paymaster = parse_validation_data(word(ret[3]));
    v.paymaster_context = std::get<bytes>(ret[4].data);
    v.sender_info = stake_info(r[1]);
    v.factory_info = stake_info(r[2]);
    v.paymaster_info = stake_info(r[3]);
    const auto& agg = list(r[4]);
    v.aggregator = std::get<address>(agg[0].data);
    v.aggregator_info = stake_info(agg[1]);
    return v;
}

std::expected<ExecutionResult, std::string> decode_execution_result(bytes_view output) {
    static const auto types = *abi::parse_types("((uint256,uint256,uint256,uint256,bool,bytes))");
    auto decoded = abi::decode(types, output);
    if (!decoded) return std::unexpected("simulateHandleOp returned " + decoded.error());
    const auto& r = list((*decoded)[0]);
    ExecutionResult e;
    e.pre_op_gas = word(r[0]);
    e.paid = word(r[1]);
    e.account = parse_validation_data(word(r[2]));
    e.paymaster = parse_validation_data(word(r[3]));
    e.target_success = std::get<bool>(r[4].data);
    e.target_result = std::get<bytes>(r[5].data);
    return e;
}

std::optional<FailedOp> decode_failed_op(bytes_view data) {
    static const auto failed_op = abi::selector("FailedOp(uint256,string)");
    static const auto failed_with_revert =
        abi::selector("FailedOpWithRevert(uint256,string,bytes)");
    if (data.size() < 4) return std::nullopt;
    const bytes_view body = data.substr(4);
    if (std::memcmp(data.data(), failed_op.bytes, 4) == 0) {
        static const auto types = *abi::parse_types("uint256,string");
        auto v = abi::decode(types, body);
        if (!v) return std::nullopt;
        return FailedOp{word((*v)[0]), std::get<std::string>((*v)[1].data), {}};
    }
    if (std::memcmp(data.data(), failed_with_revert.bytes, 4) == 0) {
        static const auto types = *abi::parse_types("uint256,string,bytes");
        auto v = abi::decode(types, body);
        if (!v) return std::nullopt;
        return FailedOp{word((*v)[0]), std::get<std::string>((*v)[1].data),
                        std::get<bytes>((*v)[2].data)};
    }
    return std::nullopt;
}

std::optional<UserOperationEvent> decode_user_operation_event(std::span<const hash256> topics,
                                                              bytes_view data) {
    if (topics.size() != 4 || topics[0] != kUserOperationEventTopic) return std::nullopt;
    static const auto types = *abi::parse_types("uint256,bool,uint256,uint256");
    auto v = abi::decode(types, data);
    if (!v) return std::nullopt;
    UserOperationEvent e;
    e.user_op_hash = topics[1];
    e.sender = address::from_view(topics[2].view());
    e.paymaster = address::from_view(topics[3].view());
    e.nonce = word((*v)[0]);
    e.success = std::get<bool>((*v)[1].data);
    e.actual_gas_cost = word((*v)[2]);
    e.actual_gas_used = word((*v)[3]);
    return e;
}

std::optional<bytes> decode_revert_reason_event(bytes_view data) {
    static const auto types = *abi::parse_types("uint256,bytes");
    auto v = abi::decode(types, data);
    if (!v) return std::nullopt;
    return std::get<bytes>((*v)[1].data);
}

}  // namespace krnl::aa
