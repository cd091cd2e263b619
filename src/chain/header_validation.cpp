#include "chain/header_validation.hpp"

#include "chain/execution.hpp"

namespace krnl::chain {

using evm::Revision;

std::string_view block_error_name(BlockErrorCode code) {
    switch (code) {
        case BlockErrorCode::Decode:
            return "decode";
        case BlockErrorCode::UnknownParent:
            return "unknown parent";
        case BlockErrorCode::Number:
            return "number";
        case BlockErrorCode::Timestamp:
            return "timestamp";
        case BlockErrorCode::GasLimit:
            return "gas limit";
        case BlockErrorCode::GasUsedAboveLimit:
            return "gas used above limit";
        case BlockErrorCode::ExtraData:
            return "extra data";
        case BlockErrorCode::BaseFee:
            return "base fee";
        case BlockErrorCode::Difficulty:
            return "difficulty";
        case BlockErrorCode::Nonce:
            return "nonce";
        case BlockErrorCode::Ommers:
            return "ommers";
        case BlockErrorCode::MissingField:
            return "missing field";
        case BlockErrorCode::UnexpectedField:
            return "unexpected field";
        case BlockErrorCode::ExcessBlobGas:
            return "excess blob gas";
        case BlockErrorCode::BlobGasUsed:
            return "blob gas used";
        case BlockErrorCode::Withdrawals:
            return "withdrawals";
        case BlockErrorCode::TransactionsRoot:
            return "transactions root";
        case BlockErrorCode::WithdrawalsRoot:
            return "withdrawals root";
        case BlockErrorCode::InvalidTransaction:
            return "invalid transaction";
        case BlockErrorCode::GasUsed:
            return "gas used";
        case BlockErrorCode::LogsBloom:
            return "logs bloom";
        case BlockErrorCode::ReceiptsRoot:
            return "receipts root";
        case BlockErrorCode::RequestsHash:
            return "requests hash";
        case BlockErrorCode::SystemCall:
            return "system call";
        case BlockErrorCode::StateRoot:
            return "state root";
        case BlockErrorCode::BlockSize:
            return "block size";
        case BlockErrorCode::DepositEvent:
            return "deposit event";
    }
    return "unknown";
}

uint256 next_base_fee(const BlockHeader& parent) {
    if (!parent.base_fee_per_gas) return kInitialBaseFee;
    const uint256& base_fee = *parent.base_fee_per_gas;
    const uint64_t target = parent.gas_limit / kElasticityMultiplier;
    if (parent.gas_used == target || target == 0) return base_fee;
    if (parent.gas_used > target) {
        const uint256 delta = base_fee * uint256(parent.gas_used - target) / uint256(target) /
                              uint256(kBaseFeeMaxChangeDenominator);
        return base_fee + std::max(delta, uint256(1));
    }
    const uint256 delta = base_fee * uint256(target - parent.gas_used) / uint256(target) /
                          uint256(kBaseFeeMaxChangeDenominator);
    return base_fee - delta;
}

uint64_t target_blob_gas_per_block(Revision rev) {
    return target_blob_gas_per_block(default_blob_params(rev));
}

uint64_t max_blob_gas_per_block(Revision rev) {
    return max_blob_gas_per_block(default_blob_params(rev));
}

uint64_t target_blob_gas_per_block(const BlobParams& blob) {
    return blob.target_blobs * kBlobGasPerBlob;
}

uint64_t max_blob_gas_per_block(const BlobParams& blob) {
    return blob.max_blobs * kBlobGasPerBlob;
}

uint64_t next_excess_blob_gas(const BlockHeader& parent, Revision rev) {
    return next_excess_blob_gas(parent, rev, default_blob_params(rev));
}

uint64_t next_excess_blob_gas(const BlockHeader& parent, Revision rev, const BlobParams& blob) {
    if (!parent.excess_blob_gas || !parent.blob_gas_used) return 0;
    const uint64_t total = *parent.excess_blob_gas + *parent.blob_gas_used;
    const uint64_t target = target_blob_gas_per_block(blob);
    if (total < target) return 0;
    // EIP-7918 (Osaka): while a blob costs less than kBlobBaseCost execution gas, the excess does
    // not fall; it grows by the blob gas used times (max - target) / max.
    if (rev >= Revision::Osaka && parent.base_fee_per_gas) {
        const uint256 reserve_price = uint256(kBlobBaseCost) * *parent.base_fee_per_gas;
        const uint256 blob_price =
            uint256(kBlobGasPerBlob) *
            blob_base_fee(*parent.excess_blob_gas, blob.base_fee_update_fraction);
        if (reserve_price > blob_price) {
            const uint64_t max = max_blob_gas_per_block(blob);
            const auto scaled = static_cast<uint64_t>(
                static_cast<unsigned __int128>(*parent.blob_gas_used) * (max - target) / max);
            return *parent.excess_blob_gas + scaled;
        }
    }
    return total - target;
}

namespace {

BlockError error(BlockErrorCode code, std::string message) {
    return BlockError{code, std::move(message), std::nullopt, std::nullopt};
}

std::string str(const uint256& v) {
    return to_string(v);
}

}  // namespace

std::optional<BlockError> validate_header(const BlockHeader& h, const BlockHeader& parent,
                                          Revision rev) {
    return validate_header(h, parent, rev, default_blob_params(rev));
}

std::optional<BlockError> validate_header(const BlockHeader& h, const BlockHeader& parent,
                                          Revision rev, const BlobParams& blob) {
    // Field presence per revision: each fork's fields exactly.
    const bool has_withdrawals = rev >= Revision::Shanghai;
    const bool has_blobs = rev >= Revision::Cancun;
    const bool has_requests = rev >= Revision::Prague;
    auto presence = [&](bool present, bool required,
                        std::string_view name) -> std::optional<BlockError> {
        if (present && !required)
            return error(BlockErrorCode::UnexpectedField,
                         std::string(name) + " present before its fork");
        if (!present && required)
            return error(BlockErrorCode::MissingField, std::string(name) + " missing");
        return std::nullopt;
    };
    if (auto e = presence(h.base_fee_per_gas.has_value(), rev >= Revision::London, "baseFeePerGas"))
        return e;
    if (auto e = presence(h.withdrawals_root.has_value(), has_withdrawals, "withdrawalsRoot"))
        return e;
    if (auto e = presence(h.blob_gas_used.has_value(), has_blobs, "blobGasUsed")) return e;
    if (auto e = presence(h.excess_blob_gas.has_value(), has_blobs, "excessBlobGas")) return e;
    if (auto e =
            presence(h.parent_beacon_block_root.has_value(), has_blobs, "parentBeaconBlockRoot"))
        return e;
    if (auto e = presence(h.requests_hash.has_value(), has_requests, "requestsHash")) return e;

    if (parent.number == UINT64_MAX || h.number != parent.number + 1)
        return error(BlockErrorCode::Number,
                     "number " + std::to_string(h.number) +
                         ", expected parent number + 1 = " + std::to_string(parent.number + 1));
    if (h.timestamp <= parent.timestamp)
        return error(BlockErrorCode::Timestamp, "timestamp " + std::to_string(h.timestamp) +
                                                    " is not after the parent's " +
                                                    std::to_string(parent.timestamp));
    if (h.extra_data.size() > kMaxExtraDataSize)
        return error(
            BlockErrorCode::ExtraData,
            "extraData is " + std::to_string(h.extra_data.size()) + " bytes, at most 32 allowed");

    if (h.gas_limit > kMaxGasLimit)
        return error(BlockErrorCode::GasLimit,
                     "gasLimit " + std::to_string(h.gas_limit) + " above 2^63 - 1");
    if (h.gas_limit < kMinGasLimit)
        return error(BlockErrorCode::GasLimit,
                     "gasLimit " + std::to_string(h.gas_limit) + " below the minimum 5000");
    const uint64_t bound = parent.gas_limit / kGasLimitBoundDivisor;
    const uint64_t diff = h.gas_limit > parent.gas_limit ? h.gas_limit - parent.gas_limit
                                                         : parent.gas_limit - h.gas_limit;
    if (diff >= bound)
        return error(BlockErrorCode::GasLimit,
                     "gasLimit " + std::to_string(h.gas_limit) + " moves " + std::to_string(diff) +
                         " from the parent's " + std::to_string(parent.gas_limit) +
                         ", limit is below " + std::to_string(bound));
    if (h.gas_used > h.gas_limit)
        return error(BlockErrorCode::GasUsedAboveLimit, "gasUsed " + std::to_string(h.gas_used) +
                                                            " above gasLimit " +
                                                            std::to_string(h.gas_limit));

    if (h.base_fee_per_gas) {
        const uint256 expected = next_base_fee(parent);
        if (*h.base_fee_per_gas != expected)
            return error(BlockErrorCode::BaseFee, "baseFeePerGas " + str(*h.base_fee_per_gas) +
                                                      ", expected " + str(expected));
    }

    if (rev >= Revision::Paris) {
        if (!!h.difficulty)
            return error(BlockErrorCode::Difficulty,
                         "difficulty " + str(h.difficulty) + ", must be 0 after the merge");
        if (!h.nonce.is_zero())
            return error(BlockErrorCode::Nonce,
                         "nonce " + to_hex(h.nonce) + ", must be 0 after the merge");
        if (h.ommers_hash != kEmptyOmmersHash)
            return error(BlockErrorCode::Ommers,
                         "ommersHash " + to_hex(h.ommers_hash) +
                             ", must be the empty list hash after the merge");
    }

    if (has_blobs) {
        const uint64_t expected = next_excess_blob_gas(parent, rev, blob);
        if (*h.excess_blob_gas != expected)
            return error(BlockErrorCode::ExcessBlobGas,
                         "excessBlobGas " + std::to_string(*h.excess_blob_gas) + ", expected " +
                             std::to_string(expected));
        if (*h.blob_gas_used % kBlobGasPerBlob != 0)
            return error(BlockErrorCode::BlobGasUsed,
                         "blobGasUsed " + std::to_string(*h.blob_gas_used) +
                             " is not a multiple of the blob gas per blob");
        if (*h.blob_gas_used > max_blob_gas_per_block(blob))
            return error(BlockErrorCode::BlobGasUsed,
                         "blobGasUsed " + std::to_string(*h.blob_gas_used) + " above the maximum " +
                             std::to_string(max_blob_gas_per_block(blob)));
    }
    return std::nullopt;
}

}  // namespace krnl::chain
