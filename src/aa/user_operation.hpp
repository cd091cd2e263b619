// User operations of ERC-4337 EntryPoint v0.7 and v0.8: the unpacked form the RPC carries, the
// PackedUserOperation the EntryPoint takes, and the hash each version signs (v0.7: keccak of the
// packed fields with the EntryPoint and chain id; v0.8: EIP-712 with domain "ERC4337" "1").
#pragma once

#include <expected>
#include <optional>
#include <string>

#include "common/abi.hpp"
#include "common/bytes.hpp"
#include "common/uint256.hpp"

namespace krnl::aa {

enum class EntryPointVersion : uint8_t { V07, V08 };

inline constexpr address kEntryPointV07{{0x00, 0x00, 0x00, 0x00, 0x71, 0x72, 0x7d,
                                         0xe2, 0x2e, 0x5e, 0x9d, 0x8b, 0xaf, 0x0e,
                                         0xda, 0xc6, 0xf3, 0x7d, 0xa0, 0x32}};
inline constexpr address kEntryPointV08{{0x43, 0x37, 0x08, 0x4d, 0x9e, 0x25, 0x5f,
                                         0xf0, 0x70, 0x24, 0x61, 0xcf, 0x88, 0x95,
                                         0xce, 0x9e, 0x3b, 0x5f, 0xf1, 0x08}};

std::optional<EntryPointVersion> entry_point_version(const address& entry_point);
address entry_point_address(EntryPointVersion version);

// EIP-7702 authorization carried with an op whose sender is an EOA delegating to an account.
struct Eip7702Auth {
    uint256 chain_id;
    address delegate;  // "address" in the RPC form
    uint64_t nonce = 0;
    uint8_t y_parity = 0;
    uint256 r;
    uint256 s;
    friend bool operator==(const Eip7702Auth&, const Eip7702Auth&) = default;
};

// The factory value that marks an EIP-7702 op (v0.8): initCode starts with these 20 bytes and the
// account's code is its delegation, which the hash covers in place of the marker.
inline constexpr address kEip7702FactoryMarker{
    {0x77, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};

struct UserOperation {
    address sender;
    uint256 nonce;  // 192-bit key ‖ 64-bit sequence
    std::optional<address> factory;
    bytes factory_data;
    bytes call_data;
    uint256 call_gas_limit;  // uint128 on chain
    uint256 verification_gas_limit;
    uint256 pre_verification_gas;
    uint256 max_fee_per_gas;
    uint256 max_priority_fee_per_gas;
    std::optional<address> paymaster;
    uint256 paymaster_verification_gas_limit;
    uint256 paymaster_post_op_gas_limit;
    bytes paymaster_data;
    bytes signature;
    std::optional<Eip7702Auth> eip7702_auth;

    uint256 nonce_key() const { return nonce >> 64; }
    uint64_t nonce_sequence() const { return nonce.w[0]; }

    friend bool operator==(const UserOperation&, const UserOperation&) = default;
};

// The fields of PackedUserOperation.
struct PackedUserOperation {
    address sender;
    uint256 nonce;
    bytes init_code;  // factory ‖ factoryData, or empty
    bytes call_data;
    bytes32 account_gas_limits;  // verificationGasLimit (high 128) ‖ callGasLimit (low 128)
    uint256 pre_verification_gas;
    bytes32 gas_fees;          // maxPriorityFeePerGas (high 128) ‖ maxFeePerGas (low 128)
    bytes paymaster_and_data;  // paymaster ‖ verification gas (16) ‖ postOp gas (16) ‖ data
    bytes signature;
};

// Gas fields above 128 bits cannot be packed; the error names the field.
std::expected<PackedUserOperation, std::string> pack(const UserOperation& op);
std::expected<UserOperation, std::string> unpack(const PackedUserOperation& packed);

// The hash the account signs. `delegate` is the code an EIP-7702 sender delegates to (read from
// its eip7702Auth or its current code); it replaces the marker in initCode for v0.8.
hash256 user_operation_hash(const UserOperation& op, EntryPointVersion version,
                            const uint256& chain_id,
                            const std::optional<address>& delegate = std::nullopt);

// The ABI type of PackedUserOperation, and one as an ABI value of that type.
inline constexpr const char* kPackedUserOperationType =
    "(address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes)";
abi::Value packed_abi_value(const PackedUserOperation& packed);

// ABI encoding of one PackedUserOperation tuple
// (address,uint256,bytes,bytes,bytes32,uint256,bytes32,bytes,bytes), as handleOps and
// simulateValidation take it.
bytes encode_packed_tuple(const PackedUserOperation& packed);

// The size of the op as the bundler counts it against MAX_USEROP_SIZE and fees: its ABI encoding.
size_t encoded_size(const UserOperation& op);

// Gas the op can use at most: verification + call + paymaster verification and postOp +
// preVerificationGas. Bounds the prefund.
uint256 max_gas(const UserOperation& op);

}  // namespace krnl::aa
