#include "aa/user_operation.hpp"

#include <algorithm>
#include <cstring>

#include "common/abi.hpp"
#include "common/keccak.hpp"

namespace krnl::aa {
namespace {

constexpr size_t kWord = 32;
const uint256 kMax128 = (uint256(1) << 128) - 1;

void put_word(bytes& out, const uint256& v) {
    uint8_t word[kWord];
    v.store_be(word);
    out.append(word, kWord);
}

void put_word(bytes& out, const address& a) {
    put_word(out, uint256::from_be(a));
}
void put_word(bytes& out, const bytes32& b) {
    out.append(b.bytes, kWord);
}

std::expected<bytes32, std::string> pack_high_low(const uint256& high, const uint256& low,
                                                  const char* high_name, const char* low_name) {
    if (high > kMax128) return std::unexpected(std::string(high_name) + " exceeds 128 bits");
    if (low > kMax128) return std::unexpected(std::string(low_name) + " exceeds 128 bits");
    return ((high << 128) | low).to_bytes32();
}

void put_uint128(bytes& out, const uint256& v) {
    uint8_t word[kWord];
    v.store_be(word);
    out.append(word + 16, 16);
}

bool is_eip7702_init_code(bytes_view init_code) {
    if (init_code.size() < 2) return false;
    // The EntryPoint compares the first 20 bytes, zero-padded, with bytes20(0x7702).
    uint8_t start[20]{};
    std::memcpy(start, init_code.data(), std::min<size_t>(20, init_code.size()));
    return std::memcmp(start, kEip7702FactoryMarker.bytes, 20) == 0;
}

hash256 keccak_of(bytes_view data) {
    return keccak256(data);
}

// keccak("PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,
// bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)")
const hash256& packed_user_operation_typehash() {
    static const hash256 h = keccak256(as_bytes(
        "PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 "
        "accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)"));
    return h;
}

hash256 domain_separator_v08(const uint256& chain_id) {
    static const hash256 domain_typehash = keccak256(as_bytes(
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"));
    static const hash256 name_hash = keccak256(as_bytes("ERC4337"));
    static const hash256 version_hash = keccak256(as_bytes("1"));
    bytes enc;
    put_word(enc, domain_typehash);
    put_word(enc, name_hash);
    put_word(enc, version_hash);
    put_word(enc, chain_id);
    put_word(enc, kEntryPointV08);
    return keccak256(enc);
}

}  // namespace

std::optional<EntryPointVersion> entry_point_version(const address& entry_point) {
    if (entry_point == kEntryPointV07) return EntryPointVersion::V07;
    if (entry_point == kEntryPointV08) return EntryPointVersion::V08;
    return std::nullopt;
}

address entry_point_address(EntryPointVersion version) {
    return version == EntryPointVersion::V07 ? kEntryPointV07 : kEntryPointV08;
}

std::expected<PackedUserOperation, std::string> pack(const UserOperation& op) {
    PackedUserOperation p;
    p.sender = op.sender;
    p.nonce = op.nonce;
    if (op.factory) {
        p.init_code.append(op.factory->bytes, 20);
        p.init_code.append(op.factory_data);
    } else if (!op.factory_data.empty()) {
        return std::unexpected("factoryData without factory");
    }
    p.call_data = op.call_data;
    auto account_gas = pack_high_low(op.verification_gas_limit, op.call_gas_limit,
                                     "verificationGasLimit", "callGasLimit");
    if (!account_gas) return std::unexpected(account_gas.error());
    p.account_gas_limits = *account_gas;
    p.pre_verification_gas = op.pre_verification_gas;
    auto fees = pack_high_low(op.max_priority_fee_per_gas, op.max_fee_per_gas,
                              "maxPriorityFeePerGas", "maxFeePerGas");
    if (!fees) return std::unexpected(fees.error());
    p.gas_fees = *fees;
    if (op.paymaster) {
        if (op.paymaster_verification_gas_limit > kMax128)
            return std::unexpected("paymasterVerificationGasLimit exceeds 128 bits");
        if (op.paymaster_post_op_gas_limit > kMax128)
            return std::unexpected("paymasterPostOpGasLimit exceeds 128 bits");
        p.paymaster_and_data.append(op.paymaster->bytes, 20);
        put_uint128(p.paymaster_and_data, op.paymaster_verification_gas_limit);
        put_uint128(p.paymaster_and_data, op.paymaster_post_op_gas_limit);
        p.paymaster_and_data.append(op.paymaster_data);
    } else if (!op.paymaster_data.empty() || op.paymaster_verification_gas_limit ||
               op.paymaster_post_op_gas_limit) {
        return std::unexpected("paymaster fields without paymaster");
    }
    p.signature = op.signature;
    return p;
}

std::expected<UserOperation, std::string> unpack(const PackedUserOperation& p) {
    UserOperation op;
    op.sender = p.sender;
    op.nonce = p.nonce;
    if (!p.init_code.empty()) {
        if (p.init_code.size() < 20 && !is_eip7702_init_code(p.init_code))
            return std::unexpected("initCode shorter than an address");
        uint8_t factory[20]{};
        std::memcpy(factory, p.init_code.data(), std::min<size_t>(20, p.init_code.size()));
        op.factory = address::from_view(bytes_view(factory, 20));
        if (p.init_code.size() > 20) op.factory_data = p.init_code.substr(20);
    }
    op.call_data = p.call_data;
    const uint256 account_gas = uint256::from_bytes32(p.account_gas_limits);
    op.verification_gas_limit = account_gas >> 128;
    op.call_gas_limit = account_gas & kMax128;
    op.pre_verification_gas = p.pre_verification_gas;
    const uint256 fees = uint256::from_bytes32(p.gas_fees);
    op.max_priority_fee_per_gas = fees >> 128;
    op.max_fee_per_gas = fees & kMax128;
    if (!p.paymaster_and_data.empty()) {
        if (p.paymaster_and_data.size() < 52)
            return std::unexpected("paymasterAndData shorter than 52 bytes");
        op.paymaster = address::from_view(p.paymaster_and_data.substr(0, 20));
        op.paymaster_verification_gas_limit = uint256::from_be(p.paymaster_and_data.substr(20, 16));
        op.paymaster_post_op_gas_limit = uint256::from_be(p.paymaster_and_data.substr(36, 16));
        op.paymaster_data = p.paymaster_and_data.substr(52);
    }
    op.signature = p.signature;
    return op;
}

hash256 user_operation_hash(const UserOperation& op, EntryPointVersion version,
                            const uint256& chain_id, const std::optional<address>& delegate) {
    // Gas fields wider than 128 bits are refused before anything hashes an op; here they are
    // truncated as the EntryPoint's packing would.
    PackedUserOperation p;
    if (auto packed = pack(op)) {
        p = std::move(*packed);
    } else {
        UserOperation clipped = op;
        for (uint256* v :
             {&clipped.call_gas_limit, &clipped.verification_gas_limit, &clipped.max_fee_per_gas,
              &clipped.max_priority_fee_per_gas, &clipped.paymaster_verification_gas_limit,
              &clipped.paymaster_post_op_gas_limit})
            *v = *v & kMax128;
        if (!clipped.factory) clipped.factory_data.clear();
        if (!clipped.paymaster) {
            clipped.paymaster_data.clear();
            clipped.paymaster_verification_gas_limit = 0;
            clipped.paymaster_post_op_gas_limit = 0;
        }
        p = *pack(clipped);
    }

    hash256 init_code_hash = keccak_of(p.init_code);
    if (version == EntryPointVersion::V08 && is_eip7702_init_code(p.init_code)) {
        bytes preimage;
        const address d = delegate.value_or(address{});
        preimage.append(d.bytes, 20);
        if (p.init_code.size() > 20) preimage.append(p.init_code.substr(20));
        init_code_hash = keccak256(preimage);
    }

    bytes enc;
    if (version == EntryPointVersion::V08) put_word(enc, packed_user_operation_typehash());
    put_word(enc, p.sender);
    put_word(enc, p.nonce);
    put_word(enc, init_code_hash);
    put_word(enc, keccak_of(p.call_data));
    put_word(enc, p.account_gas_limits);
    put_word(enc, p.pre_verification_gas);
    put_word(enc, p.gas_fees);
    put_word(enc, keccak_of(p.paymaster_and_data));
    const hash256 struct_hash = keccak256(enc);

    bytes outer;
    if (version == EntryPointVersion::V07) {
        put_word(outer, struct_hash);
        put_word(outer, kEntryPointV07);
        put_word(outer, chain_id);
        return keccak256(outer);
    }
    outer.push_back(0x19);
    outer.push_back(0x01);
    put_word(outer, domain_separator_v08(chain_id));
    put_word(outer, struct_hash);
    return keccak256(outer);
}

abi::Value packed_abi_value(const PackedUserOperation& p) {
    return abi::Value(abi::ValueList{
        abi::Value(p.sender),
        abi::Value(p.nonce),
        abi::Value(p.init_code),
        abi::Value(p.call_data),
        abi::Value(bytes(p.account_gas_limits.view())),
        abi::Value(p.pre_verification_gas),
        abi::Value(bytes(p.gas_fees.view())),
        abi::Value(p.paymaster_and_data),
        abi::Value(p.signature),
    });
}

bytes encode_packed_tuple(const PackedUserOperation& p) {
    static const abi::Type type = *abi::parse_type(kPackedUserOperationType);
    return *abi::encode(type, packed_abi_value(p));
}

size_t encoded_size(const UserOperation& op) {
    // The packed tuple's ABI encoding: 9 head words, 4 length words, and the padded byte fields.
    const auto padded = [](size_t n) { return (n + kWord - 1) / kWord * kWord; };
    const size_t init_code = op.factory ? 20 + op.factory_data.size() : 0;
    const size_t paymaster = op.paymaster ? 52 + op.paymaster_data.size() : 0;
    return 13 * kWord + padded(init_code) + padded(op.call_data.size()) + padded(paymaster) +
           padded(op.signature.size());
}

uint256 max_gas(const UserOperation& op) {
    return op.verification_gas_limit + op.call_gas_limit + op.paymaster_verification_gas_limit +
           op.paymaster_post_op_gas_limit + op.pre_verification_gas;
}

}  // namespace krnl::aa
