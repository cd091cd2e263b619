#include "chain/transaction.hpp"

#include "chain/rlp_fields.hpp"

#include <algorithm>

#include "common/keccak.hpp"
#include "common/secp256k1.hpp"
#include "evm/limits.hpp"

namespace krnl::chain {

namespace {

constexpr uint8_t kBlobHashVersion = 0x01;  // EIP-4844 VERSIONED_HASH_VERSION_KZG

// ---------------------------------------------------------------------------------------------
// Decoding

std::expected<std::vector<AccessListEntry>, DecodeError> decode_access_list(bytes_view payload) {
    std::vector<AccessListEntry> list;
    FieldReader items(payload);
    while (!items.done()) {
        bytes_view entry_payload;
        KRNL_TRY_ASSIGN(entry_payload, items.list("access_list entry"));
        FieldReader entry(entry_payload);
        AccessListEntry e;
        KRNL_TRY_ASSIGN(e.addr, entry.addr("access_list address"));
        bytes_view keys_payload;
        KRNL_TRY_ASSIGN(keys_payload, entry.list("access_list storage_keys"));
        if (auto end = expect_end(entry, "access_list entry"); !end)
            return std::unexpected(end.error());
        FieldReader keys(keys_payload);
        while (!keys.done()) {
            bytes32 key;
            KRNL_TRY_ASSIGN(key, keys.word("access_list storage key"));
            e.storage_keys.push_back(key);
        }
        list.push_back(std::move(e));
    }
    return list;
}

std::expected<std::vector<hash256>, DecodeError> decode_blob_hashes(bytes_view payload) {
    std::vector<hash256> hashes;
    FieldReader items(payload);
    while (!items.done()) {
        hash256 h;
        KRNL_TRY_ASSIGN(h, items.word("blob_versioned_hash"));
        hashes.push_back(h);
    }
    return hashes;
}

std::expected<std::vector<Authorization>, DecodeError> decode_authorizations(bytes_view payload) {
    std::vector<Authorization> list;
    FieldReader items(payload);
    while (!items.done()) {
        bytes_view tuple_payload;
        KRNL_TRY_ASSIGN(tuple_payload, items.list("authorization"));
        FieldReader tuple(tuple_payload);
        Authorization a;
        KRNL_TRY_ASSIGN(a.chain_id, tuple.u256("authorization chain_id"));
        KRNL_TRY_ASSIGN(a.addr, tuple.addr("authorization address"));
        KRNL_TRY_ASSIGN(a.nonce, tuple.u64("authorization nonce"));
        uint64_t y_parity = 0;
        KRNL_TRY_ASSIGN(y_parity, tuple.u64("authorization y_parity"));
        // EIP-7702 bounds y_parity by 2^8 at decoding; values 2..255 only fail recovery.
        if (y_parity > 0xff)
            return std::unexpected(
                DecodeError{DecodeErrorCode::BadYParity, {}, "authorization y_parity"});
        a.y_parity = static_cast<uint8_t>(y_parity);
        KRNL_TRY_ASSIGN(a.r, tuple.u256("authorization r"));
        KRNL_TRY_ASSIGN(a.s, tuple.u256("authorization s"));
        if (auto end = expect_end(tuple, "authorization"); !end)
            return std::unexpected(end.error());
        list.push_back(std::move(a));
    }
    return list;
}

std::expected<Transaction, DecodeError> decode_legacy(bytes_view payload) {
    FieldReader f(payload);
    Transaction tx;
    tx.type = TxType::Legacy;
    KRNL_TRY_ASSIGN(tx.nonce, f.u64("nonce"));
    KRNL_TRY_ASSIGN(tx.max_fee_per_gas, f.u256("gas_price"));
    tx.max_priority_fee_per_gas = tx.max_fee_per_gas;
    KRNL_TRY_ASSIGN(tx.gas_limit, f.u64("gas_limit"));
    KRNL_TRY_ASSIGN(tx.to, f.optional_addr("to"));
    KRNL_TRY_ASSIGN(tx.value, f.u256("value"));
    bytes_view data;
    KRNL_TRY_ASSIGN(data, f.string("data"));
    tx.data.assign(data);
    KRNL_TRY_ASSIGN(tx.v, f.u256("v"));
    KRNL_TRY_ASSIGN(tx.r, f.u256("r"));
    KRNL_TRY_ASSIGN(tx.s, f.u256("s"));
    if (auto end = expect_end(f, "transaction"); !end) return std::unexpected(end.error());

    // EIP-155: v = chain_id * 2 + 35 + y_parity. A v that maps to no chain id is kept as is and
    // fails at recovery, so decoding stays purely structural.
    if (tx.v.fits_u64() && tx.v.w[0] >= 35) tx.chain_id = (tx.v.w[0] - 35) / 2;
    if (tx.v.fits_u64() && (tx.v.w[0] == 27 || tx.v.w[0] == 28))
        tx.y_parity = static_cast<uint8_t>(tx.v.w[0] - 27);
    else if (tx.chain_id)
        tx.y_parity = static_cast<uint8_t>((tx.v.w[0] - 35) & 1);
    return tx;
}

std::expected<Transaction, DecodeError> decode_typed(TxType type, bytes_view payload) {
    FieldReader f(payload);
    Transaction tx;
    tx.type = type;

    uint256 chain_id;
    KRNL_TRY_ASSIGN(chain_id, f.u256("chain_id"));
    if (!chain_id.fits_u64())
        return std::unexpected(DecodeError{DecodeErrorCode::ChainIdTooLarge, {}, "chain_id"});
    tx.chain_id = chain_id.w[0];
    KRNL_TRY_ASSIGN(tx.nonce, f.u64("nonce"));
    if (type == TxType::AccessList) {
        KRNL_TRY_ASSIGN(tx.max_fee_per_gas, f.u256("gas_price"));
        tx.max_priority_fee_per_gas = tx.max_fee_per_gas;
    } else {
        KRNL_TRY_ASSIGN(tx.max_priority_fee_per_gas, f.u256("max_priority_fee_per_gas"));
        KRNL_TRY_ASSIGN(tx.max_fee_per_gas, f.u256("max_fee_per_gas"));
    }
    KRNL_TRY_ASSIGN(tx.gas_limit, f.u64("gas_limit"));
    if (type == TxType::Blob || type == TxType::SetCode) {
        // Blob and set-code transactions cannot create contracts: `to` is a plain address.
        address to;
        KRNL_TRY_ASSIGN(to, f.addr("to"));
        tx.to = to;
    } else {
        KRNL_TRY_ASSIGN(tx.to, f.optional_addr("to"));
    }
    KRNL_TRY_ASSIGN(tx.value, f.u256("value"));
    bytes_view data;
    KRNL_TRY_ASSIGN(data, f.string("data"));
    tx.data.assign(data);
    bytes_view access_list;
    KRNL_TRY_ASSIGN(access_list, f.list("access_list"));
    KRNL_TRY_ASSIGN(tx.access_list, decode_access_list(access_list));

    if (type == TxType::Blob) {
        KRNL_TRY_ASSIGN(tx.max_fee_per_blob_gas, f.u256("max_fee_per_blob_gas"));
        bytes_view hashes;
        KRNL_TRY_ASSIGN(hashes, f.list("blob_versioned_hashes"));
        KRNL_TRY_ASSIGN(tx.blob_versioned_hashes, decode_blob_hashes(hashes));
    } else if (type == TxType::SetCode) {
        bytes_view auths;
        KRNL_TRY_ASSIGN(auths, f.list("authorization_list"));
        KRNL_TRY_ASSIGN(tx.authorization_list, decode_authorizations(auths));
    }

    uint64_t y_parity = 0;
    KRNL_TRY_ASSIGN(y_parity, f.u64("y_parity"));
    if (y_parity > 1)
        return std::unexpected(DecodeError{DecodeErrorCode::BadYParity, {}, "y_parity"});
    tx.y_parity = static_cast<uint8_t>(y_parity);
    tx.v = uint256(y_parity);
    KRNL_TRY_ASSIGN(tx.r, f.u256("r"));
    KRNL_TRY_ASSIGN(tx.s, f.u256("s"));
    if (auto end = expect_end(f, "transaction"); !end) return std::unexpected(end.error());
    return tx;
}

#undef KRNL_TRY_ASSIGN

// ---------------------------------------------------------------------------------------------
// Encoding

void encode_address(bytes& out, const std::optional<address>& a) {
    if (a)
        rlp::encode_string(out, a->view());
    else
        rlp::encode_string(out, {});
}

void encode_access_list(bytes& out, const std::vector<AccessListEntry>& list) {
    bytes entries;
    for (const auto& e : list) {
        bytes keys;
        for (const auto& k : e.storage_keys)
            rlp::encode_string(keys, k.view());
        bytes entry;
        rlp::encode_string(entry, e.addr.view());
        rlp::encode_list_header(entry, keys.size());
        entry += keys;
        rlp::encode_list_header(entries, entry.size());
        entries += entry;
    }
    rlp::encode_list_header(out, entries.size());
    out += entries;
}

void encode_authorizations(bytes& out, const std::vector<Authorization>& list) {
    bytes tuples;
    for (const auto& a : list) {
        bytes tuple;
        rlp::encode_uint(tuple, a.chain_id);
        rlp::encode_string(tuple, a.addr.view());
        rlp::encode_uint(tuple, a.nonce);
        rlp::encode_uint(tuple, static_cast<uint64_t>(a.y_parity));
        rlp::encode_uint(tuple, a.r);
        rlp::encode_uint(tuple, a.s);
        rlp::encode_list_header(tuples, tuple.size());
        tuples += tuple;
    }
    rlp::encode_list_header(out, tuples.size());
    out += tuples;
}

// The RLP list payload of a typed transaction, with or without the signature fields.
bytes typed_fields(const Transaction& tx, bool with_signature) {
    bytes f;
    rlp::encode_uint(f, tx.chain_id.value_or(0));
    rlp::encode_uint(f, tx.nonce);
    if (tx.type == TxType::AccessList) {
        rlp::encode_uint(f, tx.max_fee_per_gas);
    } else {
        rlp::encode_uint(f, tx.max_priority_fee_per_gas);
        rlp::encode_uint(f, tx.max_fee_per_gas);
    }
    rlp::encode_uint(f, tx.gas_limit);
    encode_address(f, tx.to);
    rlp::encode_uint(f, tx.value);
    rlp::encode_string(f, tx.data);
    encode_access_list(f, tx.access_list);
    if (tx.type == TxType::Blob) {
        rlp::encode_uint(f, tx.max_fee_per_blob_gas);
        bytes hashes;
        for (const auto& h : tx.blob_versioned_hashes)
            rlp::encode_string(hashes, h.view());
        rlp::encode_list_header(f, hashes.size());
        f += hashes;
    } else if (tx.type == TxType::SetCode) {
        encode_authorizations(f, tx.authorization_list);
    }
    if (with_signature) {
        rlp::encode_uint(f, static_cast<uint64_t>(tx.y_parity));
        rlp::encode_uint(f, tx.r);
        rlp::encode_uint(f, tx.s);
    }
    return f;
}

// Legacy fields up to and including data.
bytes legacy_unsigned_fields(const Transaction& tx) {
    bytes f;
    rlp::encode_uint(f, tx.nonce);
    rlp::encode_uint(f, tx.max_fee_per_gas);
    rlp::encode_uint(f, tx.gas_limit);
    encode_address(f, tx.to);
    rlp::encode_uint(f, tx.value);
    rlp::encode_string(f, tx.data);
    return f;
}

bytes typed_envelope(TxType type, bytes_view fields) {
    bytes out;
    out.push_back(static_cast<uint8_t>(type));
    rlp::encode_list_header(out, fields.size());
    out += fields;
    return out;
}

// ---------------------------------------------------------------------------------------------
// Signatures

std::optional<address> recover(const hash256& digest, const uint256& r, const uint256& s,
                               uint64_t y_parity, bool require_low_s) {
    if (y_parity > 1) return std::nullopt;
    const bytes32 r_bytes = r.to_bytes32();
    const bytes32 s_bytes = s.to_bytes32();
    if (require_low_s && s_bytes > secp256k1::kHalfCurveOrder) return std::nullopt;
    return secp256k1::recover_address(digest, r_bytes, s_bytes, static_cast<uint8_t>(y_parity));
}

// The recovery id a legacy v encodes, given the stored chain id; nullopt when they disagree.
std::optional<uint8_t> legacy_y_parity(const Transaction& tx) {
    if (!tx.v.fits_u64()) return std::nullopt;
    const uint64_t v = tx.v.w[0];
    if (!tx.chain_id) {
        if (v == 27 || v == 28) return static_cast<uint8_t>(v - 27);
        return std::nullopt;
    }
    const unsigned __int128 base = static_cast<unsigned __int128>(*tx.chain_id) * 2 + 35;
    if (v == base) return 0;
    if (v == base + 1) return 1;
    return std::nullopt;
}

std::optional<address> recover_sender_impl(const Transaction& tx, bool require_low_s) {
    uint64_t y_parity = tx.y_parity;
    if (tx.type == TxType::Legacy) {
        auto p = legacy_y_parity(tx);
        if (!p) return std::nullopt;
        y_parity = *p;
    }
    return recover(signing_hash(tx), tx.r, tx.s, y_parity, require_low_s);
}

struct CalldataBytes {
    uint64_t zero = 0;
    uint64_t nonzero = 0;
};

CalldataBytes count_calldata(bytes_view data) {
    CalldataBytes c;
    c.zero = static_cast<uint64_t>(std::count(data.begin(), data.end(), uint8_t{0}));
    c.nonzero = data.size() - c.zero;
    return c;
}

bool type_active(TxType type, evm::Revision rev) {
    switch (type) {
        case TxType::Legacy:
            return true;
        case TxType::AccessList:
            return rev >= evm::Revision::Berlin;
        case TxType::DynamicFee:
            return rev >= evm::Revision::London;
        case TxType::Blob:
            return rev >= evm::Revision::Cancun;
        case TxType::SetCode:
            return rev >= evm::Revision::Prague;
    }
    return false;
}

// Blobs per block: EIP-4844 (Cancun) 786432 / 131072, EIP-7691 (Prague) 1179648 / 131072.
size_t blob_limit(evm::Revision rev) {
    return rev >= evm::Revision::Prague ? 9 : 6;
}

constexpr size_t kMaxBlobsPerTxOsaka = 6;

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string decode_error_message(const DecodeError& error) {
    std::string msg;
    switch (error.code) {
        case DecodeErrorCode::Rlp:
            msg = "invalid RLP: ";
            msg += rlp::error_message(error.rlp);
            break;
        case DecodeErrorCode::Empty:
            msg = "empty transaction encoding";
            break;
        case DecodeErrorCode::UnsupportedType:
            msg = "unsupported transaction type";
            break;
        case DecodeErrorCode::NotAList:
            msg = "transaction payload is not an RLP list";
            break;
        case DecodeErrorCode::WrongFieldCount:
            msg = "wrong number of fields";
            break;
        case DecodeErrorCode::TrailingBytes:
            msg = "trailing bytes after the transaction";
            break;
        case DecodeErrorCode::BadAddress:
            msg = "address is not 20 bytes";
            break;
        case DecodeErrorCode::BadHash:
            msg = "hash is not 32 bytes";
            break;
        case DecodeErrorCode::BadYParity:
            msg = "y_parity out of range";
            break;
        case DecodeErrorCode::ChainIdTooLarge:
            msg = "chain id does not fit 64 bits";
            break;
    }
    if (!error.field.empty()) {
        msg += " (";
        msg += error.field;
        msg += ")";
    }
    return msg;
}

std::expected<Transaction, DecodeError> decode_transaction(bytes_view encoded) {
    if (encoded.empty()) return std::unexpected(DecodeError{DecodeErrorCode::Empty, {}, {}});

    const uint8_t first = encoded[0];
    TxType type = TxType::Legacy;
    bytes_view in = encoded;
    if (first >= 0xc0) {
        type = TxType::Legacy;
    } else if (first >= 1 && first <= 4) {
        type = static_cast<TxType>(first);
        in.remove_prefix(1);
    } else {
        // 0x00, 0x05..0x7f are unassigned types; 0x80..0xbf is an RLP string, never a transaction.
        return std::unexpected(DecodeError{DecodeErrorCode::UnsupportedType, {}, {}});
    }

    bytes_view probe = in;
    auto header = rlp::decode_header(probe);
    if (!header) return std::unexpected(DecodeError{DecodeErrorCode::Rlp, header.error(), {}});
    if (!header->list) return std::unexpected(DecodeError{DecodeErrorCode::NotAList, {}, {}});

    auto payload = rlp::decode_list(in);
    if (!payload) return std::unexpected(DecodeError{DecodeErrorCode::Rlp, payload.error(), {}});
    if (!in.empty()) return std::unexpected(DecodeError{DecodeErrorCode::TrailingBytes, {}, {}});

    if (type == TxType::Legacy) return decode_legacy(*payload);
    return decode_typed(type, *payload);
}

bytes encode_transaction(const Transaction& tx) {
    if (tx.type != TxType::Legacy) return typed_envelope(tx.type, typed_fields(tx, true));
    bytes f = legacy_unsigned_fields(tx);
    rlp::encode_uint(f, tx.v);
    rlp::encode_uint(f, tx.r);
    rlp::encode_uint(f, tx.s);
    return rlp::wrap_list(f);
}

hash256 transaction_hash(const Transaction& tx) {
    return keccak256(encode_transaction(tx));
}

hash256 signing_hash(const Transaction& tx) {
    if (tx.type != TxType::Legacy)
        return keccak256(typed_envelope(tx.type, typed_fields(tx, false)));
    bytes f = legacy_unsigned_fields(tx);
    if (tx.chain_id) {
        rlp::encode_uint(f, *tx.chain_id);
        rlp::encode_uint(f, uint64_t{0});
        rlp::encode_uint(f, uint64_t{0});
    }
    return keccak256(rlp::wrap_list(f));
}

std::optional<address> recover_sender(const Transaction& tx) {
    return recover_sender_impl(tx, /*require_low_s=*/true);
}

bool sign_transaction(Transaction& tx, const bytes32& secret_key) {
    // v = chain_id * 2 + 36 must fit 64 bits.
    if (tx.type == TxType::Legacy && tx.chain_id && *tx.chain_id > (UINT64_MAX - 36) / 2)
        return false;
    auto sig = secp256k1::sign(signing_hash(tx), secret_key);
    if (!sig) return false;
    tx.r = uint256::from_bytes32(sig->r);
    tx.s = uint256::from_bytes32(sig->s);
    tx.y_parity = sig->y_parity;
    if (tx.type != TxType::Legacy)
        tx.v = uint256(sig->y_parity);
    else if (tx.chain_id)
        tx.v = uint256(*tx.chain_id * 2 + 35 + sig->y_parity);
    else
        tx.v = uint256(27u + sig->y_parity);
    return true;
}

int64_t intrinsic_gas(const Transaction& tx, evm::Revision rev) {
    const bool creation = !tx.to;
    const CalldataBytes data = count_calldata(tx.data);
    int64_t gas = 21000;
    if (creation && rev >= evm::Revision::Homestead) gas += 32000;
    gas += static_cast<int64_t>(data.zero) * 4;
    gas += static_cast<int64_t>(data.nonzero) * (rev >= evm::Revision::Istanbul ? 16 : 68);
    if (creation && rev >= evm::Revision::Shanghai)
        gas += 2 * static_cast<int64_t>((tx.data.size() + 31) / 32);
    for (const auto& entry : tx.access_list)
        gas += 2400 + 1900 * static_cast<int64_t>(entry.storage_keys.size());
    gas += 25000 * static_cast<int64_t>(tx.authorization_list.size());
    return gas;
}

int64_t calldata_floor_gas(const Transaction& tx, evm::Revision rev) {
    if (rev < evm::Revision::Prague) return 0;
    const CalldataBytes data = count_calldata(tx.data);
    return 21000 + 10 * static_cast<int64_t>(data.zero + 4 * data.nonzero);
}

hash256 authorization_signing_hash(const Authorization& auth) {
    bytes f;
    rlp::encode_uint(f, auth.chain_id);
    rlp::encode_string(f, auth.addr.view());
    rlp::encode_uint(f, auth.nonce);
    bytes msg;
    msg.push_back(0x05);  // EIP-7702 MAGIC
    msg += rlp::wrap_list(f);
    return keccak256(msg);
}

std::optional<address> recover_authority(const Authorization& auth) {
    return recover(authorization_signing_hash(auth), auth.r, auth.s, auth.y_parity,
                   /*require_low_s=*/true);
}

bool sign_authorization(Authorization& auth, const bytes32& secret_key) {
    auto sig = secp256k1::sign(authorization_signing_hash(auth), secret_key);
    if (!sig) return false;
    auth.r = uint256::from_bytes32(sig->r);
    auth.s = uint256::from_bytes32(sig->s);
    auth.y_parity = sig->y_parity;
    return true;
}

std::string_view tx_error_message(TxError error) {
    switch (error) {
        case TxError::TypeNotSupported:
            return "transaction type not supported";
        case TxError::WrongChainId:
            return "invalid chain id for signer";
        case TxError::InvalidSignature:
            return "invalid transaction v, r, s values";
        case TxError::NonceMax:
            return "nonce has max value";
        case TxError::TipAboveFeeCap:
            return "max priority fee per gas higher than max fee per gas";
        case TxError::GasLimitPriceOverflow:
            return "gas limit times max fee per gas overflows";
        case TxError::IntrinsicGasTooLow:
            return "intrinsic gas too low";
        case TxError::InitcodeTooLarge:
            return "max initcode size exceeded";
        case TxError::BlobCreate:
            return "blob transaction of type create";
        case TxError::NoBlobs:
            return "blob transaction missing blob hashes";
        case TxError::TooManyBlobs:
            return "blob transaction has too many blobs";
        case TxError::BadBlobHashVersion:
            return "blob hash version mismatch";
        case TxError::SetCodeCreate:
            return "EIP-7702 transaction cannot create a contract";
        case TxError::EmptyAuthorizationList:
            return "EIP-7702 transaction with empty auth list";
        case TxError::GasLimitAboveCap:
            return "transaction gas limit too high (cap: 16777216)";
        case TxError::GasLimitExceedsBlock:
            return "exceeds block gas limit";
        case TxError::FeeCapBelowBaseFee:
            return "max fee per gas less than block base fee";
        case TxError::BlobFeeCapTooLow:
            return "max fee per blob gas less than block blob gas fee";
        case TxError::NonceTooLow:
            return "nonce too low";
        case TxError::NonceTooHigh:
            return "nonce too high";
        case TxError::InsufficientFunds:
            return "insufficient funds for gas * price + value";
        case TxError::SenderNotEoa:
            return "sender not an eoa";
    }
    return "invalid transaction";
}

size_t max_blobs_per_block(evm::Revision rev) {
    return blob_limit(rev);
}

std::optional<TxError> validate_transaction(const Transaction& tx, evm::Revision rev,
                                            uint64_t chain_id) {
    if (!type_active(tx.type, rev)) return TxError::TypeNotSupported;

    if (tx.type == TxType::Legacy) {
        // EIP-155 signatures exist from Spurious Dragon; before it such a v is just invalid.
        if (tx.chain_id) {
            if (rev < evm::Revision::SpuriousDragon) return TxError::InvalidSignature;
            if (*tx.chain_id != chain_id) return TxError::WrongChainId;
        }
    } else if (tx.chain_id != chain_id) {
        return TxError::WrongChainId;
    }

    if (tx.nonce == UINT64_MAX) return TxError::NonceMax;
    if (tx.max_priority_fee_per_gas > tx.max_fee_per_gas) return TxError::TipAboveFeeCap;
    if (!checked_mul(tx.max_fee_per_gas, tx.gas_limit)) return TxError::GasLimitPriceOverflow;
    if (rev >= evm::Revision::Osaka && tx.gas_limit > kMaxTxGasLimitOsaka)
        return TxError::GasLimitAboveCap;

    if (!tx.to && rev >= evm::Revision::Shanghai && tx.data.size() > evm::kMaxInitcodeSize)
        return TxError::InitcodeTooLarge;
    const auto gas_limit = static_cast<int64_t>(std::min<uint64_t>(tx.gas_limit, INT64_MAX));
    if (gas_limit < intrinsic_gas(tx, rev) || gas_limit < calldata_floor_gas(tx, rev))
        return TxError::IntrinsicGasTooLow;

    if (tx.type == TxType::Blob) {
        if (!tx.to) return TxError::BlobCreate;
        if (tx.blob_versioned_hashes.empty()) return TxError::NoBlobs;
        if (tx.blob_versioned_hashes.size() > blob_limit(rev)) return TxError::TooManyBlobs;
        // EIP-7594 (Osaka): a transaction carries at most 6 blobs, below the block's limit.
        if (rev >= evm::Revision::Osaka && tx.blob_versioned_hashes.size() > kMaxBlobsPerTxOsaka)
            return TxError::TooManyBlobs;
        for (const auto& h : tx.blob_versioned_hashes)
            if (h[0] != kBlobHashVersion) return TxError::BadBlobHashVersion;
    }
    if (tx.type == TxType::SetCode) {
        if (!tx.to) return TxError::SetCodeCreate;
        if (tx.authorization_list.empty()) return TxError::EmptyAuthorizationList;
    }
    return std::nullopt;
}

std::expected<address, TxError> check_transaction(const Transaction& tx, evm::Revision rev,
                                                  uint64_t chain_id) {
    if (auto error = validate_transaction(tx, rev, chain_id)) return std::unexpected(*error);
    // EIP-2 (Homestead) made signatures with s > n/2 invalid.
    auto sender = recover_sender_impl(tx, rev >= evm::Revision::Homestead);
    if (!sender) return std::unexpected(TxError::InvalidSignature);
    return *sender;
}

}  // namespace krnl::chain
