#include "aa/user_operation_json.hpp"

namespace krnl::aa {
namespace {

using rpc::code::kInvalidParams;

std::unexpected<rpc::RpcError> field_error(std::string_view field, const std::string& what) {
    return rpc::error(kInvalidParams,
                      "invalid user operation: " + std::string(field) + ": " + what);
}

template <typename T, typename Parse>
Result<std::optional<T>> optional_field(const json& obj, std::string_view name, Parse parse) {
    const auto it = obj.find(name);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    auto v = parse(*it);
    if (!v) return field_error(name, v.error());
    return std::optional<T>(std::move(*v));
}

template <typename T, typename Parse>
Result<T> required_field(const json& obj, std::string_view name, Parse parse) {
    auto v = optional_field<T>(obj, name, parse);
    if (!v) return std::unexpected(v.error());
    if (!*v) return field_error(name, "missing");
    return std::move(**v);
}

// The factory of an EIP-7702 op may be written as the two marker bytes "0x7702" (viem does).
std::expected<address, std::string> parse_factory(const json& v) {
    if (v.is_string() && (v.get<std::string>() == "0x7702")) return kEip7702FactoryMarker;
    return rpc::parse_address(v);
}

std::expected<uint64_t, std::string> parse_small(const json& v) {
    return rpc::parse_u64(v);
}

// The authorization's numbers as viem writes them: yParity as one byte ("0x00"), r and s as 32
// bytes, leading zeros kept. They are accepted with or without.
std::expected<uint256, std::string> parse_padded_quantity(const json& v) {
    if (v.is_string()) {
        const std::string text = v.get<std::string>();
        if (text.size() > 3 && text.starts_with("0x") && text[2] == '0') {
            const size_t first = text.find_first_not_of('0', 2);
            return rpc::parse_quantity(
                json("0x" + (first == std::string::npos ? std::string("0") : text.substr(first))));
        }
    }
    return rpc::parse_quantity(v);
}

std::expected<uint64_t, std::string> parse_y_parity(const json& v) {
    auto q = parse_padded_quantity(v);
    if (!q) return std::unexpected(q.error());
    if (*q > uint256(1)) return std::unexpected("must be 0 or 1");
    return q->w[0];
}

Result<Eip7702Auth> parse_auth(const json& v) {
    if (!v.is_object()) return field_error("eip7702Auth", "not an object");
    Eip7702Auth auth;
    KRNL_RPC_TRY(chain_id, required_field<uint256>(v, "chainId", rpc::parse_quantity));
    KRNL_RPC_TRY(delegate, required_field<address>(v, "address", rpc::parse_address));
    KRNL_RPC_TRY(nonce, required_field<uint64_t>(v, "nonce", parse_small));
    KRNL_RPC_TRY(y_parity, required_field<uint64_t>(v, "yParity", parse_y_parity));
    KRNL_RPC_TRY(r, required_field<uint256>(v, "r", parse_padded_quantity));
    KRNL_RPC_TRY(s, required_field<uint256>(v, "s", parse_padded_quantity));
    if (y_parity > 1) return field_error("eip7702Auth.yParity", "must be 0 or 1");
    auth.chain_id = chain_id;
    auth.delegate = delegate;
    auth.nonce = nonce;
    auth.y_parity = static_cast<uint8_t>(y_parity);
    auth.r = r;
    auth.s = s;
    return auth;
}

std::string quantity(const uint256& v) {
    return rpc::to_quantity(v);
}

}  // namespace

Result<UserOperation> parse_user_operation(const json& v, GasFields gas_fields) {
    if (!v.is_object()) return rpc::error(kInvalidParams, "invalid user operation: not an object");
    UserOperation op;
    KRNL_RPC_TRY(sender, required_field<address>(v, "sender", rpc::parse_address));
    KRNL_RPC_TRY(nonce, required_field<uint256>(v, "nonce", rpc::parse_quantity));
    KRNL_RPC_TRY(call_data, required_field<bytes>(v, "callData", rpc::parse_data));
    KRNL_RPC_TRY(factory, optional_field<address>(v, "factory", parse_factory));
    KRNL_RPC_TRY(factory_data, optional_field<bytes>(v, "factoryData", rpc::parse_data));
    KRNL_RPC_TRY(paymaster, optional_field<address>(v, "paymaster", rpc::parse_address));
    KRNL_RPC_TRY(paymaster_data, optional_field<bytes>(v, "paymasterData", rpc::parse_data));
    KRNL_RPC_TRY(signature, optional_field<bytes>(v, "signature", rpc::parse_data));
    op.sender = sender;
    op.nonce = nonce;
    op.call_data = std::move(call_data);
    op.factory = factory;
    op.factory_data = factory_data.value_or(bytes{});
    op.paymaster = paymaster;
    op.paymaster_data = paymaster_data.value_or(bytes{});
    if (!signature && gas_fields == GasFields::Required) return field_error("signature", "missing");
    op.signature = signature.value_or(bytes{});

    struct GasField {
        const char* name;
        uint256* target;
        bool always_required;  // in eth_sendUserOperation
    };
    const GasField gas[] = {
        {"callGasLimit", &op.call_gas_limit, true},
        {"verificationGasLimit", &op.verification_gas_limit, true},
        {"preVerificationGas", &op.pre_verification_gas, true},
        {"maxFeePerGas", &op.max_fee_per_gas, true},
        {"maxPriorityFeePerGas", &op.max_priority_fee_per_gas, true},
        {"paymasterVerificationGasLimit", &op.paymaster_verification_gas_limit, false},
        {"paymasterPostOpGasLimit", &op.paymaster_post_op_gas_limit, false},
    };
    for (const GasField& f : gas) {
        KRNL_RPC_TRY(value, optional_field<uint256>(v, f.name, rpc::parse_quantity));
        if (!value && f.always_required && gas_fields == GasFields::Required)
            return field_error(f.name, "missing");
        if (!value && !f.always_required && paymaster && gas_fields == GasFields::Required)
            return field_error(f.name, "missing (the op names a paymaster)");
        *f.target = value.value_or(uint256{});
    }
    if (!op.factory && !op.factory_data.empty())
        return field_error("factoryData", "given without a factory");
    if (!op.paymaster && (!op.paymaster_data.empty() || op.paymaster_verification_gas_limit ||
                          op.paymaster_post_op_gas_limit))
        return field_error("paymaster", "paymaster fields given without a paymaster");

    if (const auto it = v.find("eip7702Auth"); it != v.end() && !it->is_null()) {
        KRNL_RPC_TRY(auth, parse_auth(*it));
        op.eip7702_auth = auth;
    }
    // Everything the EntryPoint packs into 128 bits must fit.
    if (auto packed = pack(op); !packed) return rpc::error(kInvalidParams, packed.error());
    return op;
}

json user_operation_json(const UserOperation& op) {
    json out = {
        {"sender", to_hex(op.sender)},
        {"nonce", quantity(op.nonce)},
        {"callData", rpc::to_data(op.call_data)},
        {"callGasLimit", quantity(op.call_gas_limit)},
        {"verificationGasLimit", quantity(op.verification_gas_limit)},
        {"preVerificationGas", quantity(op.pre_verification_gas)},
        {"maxFeePerGas", quantity(op.max_fee_per_gas)},
        {"maxPriorityFeePerGas", quantity(op.max_priority_fee_per_gas)},
        {"signature", rpc::to_data(op.signature)},
        {"factory", nullptr},
        {"factoryData", nullptr},
        {"paymaster", nullptr},
        {"paymasterVerificationGasLimit", nullptr},
        {"paymasterPostOpGasLimit", nullptr},
        {"paymasterData", nullptr},
    };
    if (op.factory) {
        out["factory"] = to_hex(*op.factory);
        out["factoryData"] = rpc::to_data(op.factory_data);
    }
    if (op.paymaster) {
        out["paymaster"] = to_hex(*op.paymaster);
        out["paymasterVerificationGasLimit"] = quantity(op.paymaster_verification_gas_limit);
        out["paymasterPostOpGasLimit"] = quantity(op.paymaster_post_op_gas_limit);
        out["paymasterData"] = rpc::to_data(op.paymaster_data);
    }
    if (op.eip7702_auth) {
        const Eip7702Auth& a = *op.eip7702_auth;
        out["eip7702Auth"] = {{"chainId", quantity(a.chain_id)},
                              {"address", to_hex(a.delegate)},
                              {"nonce", rpc::to_quantity(a.nonce)},
                              {"yParity", rpc::to_quantity(uint64_t{a.y_parity})},
                              {"r", quantity(a.r)},
                              {"s", quantity(a.s)}};
    }
    return out;
}

}  // namespace krnl::aa
