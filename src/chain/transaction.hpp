// Transactions of types 0-4 (legacy, EIP-2930, EIP-1559, EIP-4844, EIP-7702): the model, the
// canonical codecs, signing hashes, sender recovery and intrinsic gas.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.hpp"
#include "common/rlp.hpp"
#include "common/uint256.hpp"
#include "evm/revision.hpp"

namespace krnl::chain {

enum class TxType : uint8_t { Legacy = 0, AccessList = 1, DynamicFee = 2, Blob = 3, SetCode = 4 };

struct AccessListEntry {
    address addr;
    std::vector<bytes32> storage_keys;
};

// EIP-7702 authorization tuple; the authority is recovered from (y_parity, r, s).
struct Authorization {
    uint256 chain_id;
    address addr;
    uint64_t nonce = 0;
    uint8_t y_parity = 0;
    uint256 r;
    uint256 s;
};

struct Transaction {
    TxType type = TxType::Legacy;
    // Legacy: present only for EIP-155 signatures. Typed: always present.
    std::optional<uint64_t> chain_id;
    uint64_t nonce = 0;
    // For types 0 and 1 both fee fields hold the gas price.
    uint256 max_priority_fee_per_gas;
    uint256 max_fee_per_gas;
    uint64_t gas_limit = 0;
    std::optional<address> to;  // nullopt: contract creation
    uint256 value;
    bytes data;
    std::vector<AccessListEntry> access_list;
    uint256 max_fee_per_blob_gas;
    std::vector<hash256> blob_versioned_hashes;
    std::vector<Authorization> authorization_list;

    // Signature. `v` is the raw legacy value (27/28 or chain_id * 2 + 35/36); typed txs use
    // y_parity.
    uint256 v;
    uint8_t y_parity = 0;
    uint256 r;
    uint256 s;

    const uint256& gas_price() const { return max_fee_per_gas; }
};

// Why `decode_transaction` refused its input. `rlp` is meaningful only for DecodeErrorCode::Rlp;
// `field` names the offending field when there is one.
enum class DecodeErrorCode : uint8_t {
    Rlp,              // malformed or non-canonical RLP (leading zeros, overlong sizes, truncation)
    Empty,            // no bytes at all
    UnsupportedType,  // a type byte outside 1..4, or an RLP string where a legacy list belongs
    NotAList,         // the transaction payload is an RLP string, not a list
    WrongFieldCount,  // too few or too many fields
    TrailingBytes,    // bytes after the transaction
    BadAddress,       // an address that is not 20 bytes (`to` may be empty only for types 0-2)
    BadHash,          // a storage key or blob versioned hash that is not 32 bytes
    BadYParity,       // a typed signature's y_parity that is not 0 or 1
    ChainIdTooLarge,  // a chain id that does not fit 64 bits
};

struct DecodeError {
    DecodeErrorCode code;
    rlp::Error rlp{};
    std::string_view field;
};

std::string decode_error_message(const DecodeError& error);

// Canonical network / block-body encoding: a legacy RLP list, or type byte || RLP payload for types
// 1..4 (type 3 without the blob sidecar). Strict: every integer canonical, exact field counts, no
// trailing bytes.
std::expected<Transaction, DecodeError> decode_transaction(bytes_view encoded);
bytes encode_transaction(const Transaction& tx);

// keccak256 of the canonical encoding.
hash256 transaction_hash(const Transaction& tx);

// The digest the sender signs: EIP-155 aware for legacy (chain id present -> [.., chain_id, 0, 0]);
// typed: keccak(type || rlp(fields without the signature)).
hash256 signing_hash(const Transaction& tx);

// The sender, or nullopt when the signature is unusable: r or s zero or >= n, s > n/2 (EIP-2), a
// legacy v that is neither 27/28 nor chain_id * 2 + 35/36 for the stored chain id, or a typed
// y_parity other than 0/1.
std::optional<address> recover_sender(const Transaction& tx);

// Signs in place with a secret key: sets r, s, y_parity and (legacy) v from `chain_id`.
// Returns false when the key is invalid.
bool sign_transaction(Transaction& tx, const bytes32& secret_key);

// Intrinsic gas: 21000 (+32000 for creation from Homestead), calldata 4 per zero byte and 16 per
// non-zero byte (68 before Istanbul), 2400 per access-list address and 1900 per key (EIP-2930),
// 2 per 32-byte initcode word for creation (EIP-3860, Shanghai+), 25000 per authorization
// (EIP-7702, Prague).
int64_t intrinsic_gas(const Transaction& tx, evm::Revision rev);

// EIP-7623 (Prague+): 21000 + 10 * (zero_bytes + 4 * nonzero_bytes) of calldata; 0 before Prague.
int64_t calldata_floor_gas(const Transaction& tx, evm::Revision rev);

// EIP-7702: keccak(0x05 || rlp([chain_id, address, nonce])).
hash256 authorization_signing_hash(const Authorization& auth);
// The authority, or nullopt for y_parity > 1, r or s zero or >= n, or s > n/2.
std::optional<address> recover_authority(const Authorization& auth);
bool sign_authorization(Authorization& auth, const bytes32& secret_key);

// Why a transaction cannot enter a block. The first group needs only the transaction and the
// revision (`validate_transaction`); the rest need the block or the sender's account and are
// checked by `apply_transaction`. Messages follow geth's so clients recognise them.
enum class TxError : uint8_t {
    TypeNotSupported,        // the type is not active at the revision
    WrongChainId,            // the chain id (typed, or EIP-155 legacy) is not the chain's
    InvalidSignature,        // bad v / y_parity (EIP-155 v before Spurious Dragon), r/s out of
                             // range, high s from Homestead, or no recoverable key
    NonceMax,                // nonce == 2^64 - 1 (EIP-2681)
    TipAboveFeeCap,          // max_priority_fee_per_gas > max_fee_per_gas (EIP-1559)
    GasLimitPriceOverflow,   // gas_limit * max_fee_per_gas does not fit 256 bits
    IntrinsicGasTooLow,      // gas_limit < intrinsic gas (or, from Prague, the calldata floor)
    InitcodeTooLarge,        // creation with more than 49152 bytes of initcode (EIP-3860)
    BlobCreate,              // a blob transaction without a recipient (EIP-4844)
    NoBlobs,                 // a blob transaction without blob hashes (EIP-4844)
    TooManyBlobs,            // more blobs than a block can hold at the revision
    BadBlobHashVersion,      // a blob hash whose first byte is not 0x01 (EIP-4844)
    SetCodeCreate,           // a set-code transaction without a recipient (EIP-7702)
    EmptyAuthorizationList,  // a set-code transaction without authorizations (EIP-7702)
    GasLimitAboveCap,        // gas limit above 2^24 from Osaka (EIP-7825)
    // Block- and state-dependent.
    GasLimitExceedsBlock,
    FeeCapBelowBaseFee,
    BlobFeeCapTooLow,
    NonceTooLow,
    NonceTooHigh,
    InsufficientFunds,
    SenderNotEoa,  // the sender has code (EIP-3607)
};

// EIP-7825 (Osaka): no transaction may ask for more gas than this, whatever the block allows.
inline constexpr uint64_t kMaxTxGasLimitOsaka = uint64_t{1} << 24;

std::string_view tx_error_message(TxError error);

// Blobs a block may carry at `rev` (EIP-4844, EIP-7691).
size_t max_blobs_per_block(evm::Revision rev);

// The checks that need neither state nor signature recovery: type, chain id, nonce bound, fee
// fields, initcode size, intrinsic gas, blob and authorization rules.
std::optional<TxError> validate_transaction(const Transaction& tx, evm::Revision rev,
                                            uint64_t chain_id);

// validate_transaction plus signature recovery: what the pool, RPC and the fixtures need before
// state is consulted. Returns the sender.
std::expected<address, TxError> check_transaction(const Transaction& tx, evm::Revision rev,
                                                  uint64_t chain_id);

}  // namespace krnl::chain
