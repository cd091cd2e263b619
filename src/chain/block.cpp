#include "chain/block.hpp"

#include "chain/rlp_fields.hpp"
#include "common/keccak.hpp"

namespace krnl::chain {

std::expected<BlockHeader, DecodeError> decode_block_header(bytes_view encoded) {
    if (encoded.empty()) return std::unexpected(DecodeError{DecodeErrorCode::Empty, {}, "header"});
    bytes_view in = encoded;
    auto payload = rlp::decode_list(in);
    if (!payload)
        return std::unexpected(DecodeError{DecodeErrorCode::Rlp, payload.error(), "header"});
    if (!in.empty())
        return std::unexpected(DecodeError{DecodeErrorCode::TrailingBytes, {}, "header"});

    FieldReader r(*payload);
    BlockHeader h;
    KRNL_TRY_ASSIGN(h.parent_hash, r.word("parentHash"));
    KRNL_TRY_ASSIGN(h.ommers_hash, r.word("ommersHash"));
    KRNL_TRY_ASSIGN(h.coinbase, r.addr("coinbase"));
    KRNL_TRY_ASSIGN(h.state_root, r.word("stateRoot"));
    KRNL_TRY_ASSIGN(h.transactions_root, r.word("transactionsRoot"));
    KRNL_TRY_ASSIGN(h.receipts_root, r.word("receiptsRoot"));
    bytes_view bloom;
    KRNL_TRY_ASSIGN(bloom, r.string("logsBloom"));
    if (bloom.size() != Bloom::size())
        return std::unexpected(DecodeError{DecodeErrorCode::BadHash, {}, "logsBloom"});
    h.logs_bloom = Bloom::from_view(bloom);
    KRNL_TRY_ASSIGN(h.difficulty, r.u256("difficulty"));
    KRNL_TRY_ASSIGN(h.number, r.u64("number"));
    KRNL_TRY_ASSIGN(h.gas_limit, r.u64("gasLimit"));
    KRNL_TRY_ASSIGN(h.gas_used, r.u64("gasUsed"));
    KRNL_TRY_ASSIGN(h.timestamp, r.u64("timestamp"));
    bytes_view extra;
    KRNL_TRY_ASSIGN(extra, r.string("extraData"));
    h.extra_data = bytes(extra);
    KRNL_TRY_ASSIGN(h.mix_hash, r.word("mixHash"));
    bytes_view nonce;
    KRNL_TRY_ASSIGN(nonce, r.string("nonce"));
    if (nonce.size() != 8)
        return std::unexpected(DecodeError{DecodeErrorCode::BadHash, {}, "nonce"});
    h.nonce = fixed_bytes<8>::from_view(nonce);

    // The fork fields: each present only if all earlier ones are.
    if (!r.done()) KRNL_TRY_ASSIGN(h.base_fee_per_gas, r.u256("baseFeePerGas"));
    if (!r.done()) KRNL_TRY_ASSIGN(h.withdrawals_root, r.word("withdrawalsRoot"));
    if (!r.done()) KRNL_TRY_ASSIGN(h.blob_gas_used, r.u64("blobGasUsed"));
    if (!r.done()) KRNL_TRY_ASSIGN(h.excess_blob_gas, r.u64("excessBlobGas"));
    if (!r.done()) KRNL_TRY_ASSIGN(h.parent_beacon_block_root, r.word("parentBeaconBlockRoot"));
    if (!r.done()) KRNL_TRY_ASSIGN(h.requests_hash, r.word("requestsHash"));
    if (auto end = expect_end(r, "header"); !end) return std::unexpected(end.error());
    return h;
}

bytes encode_block_header(const BlockHeader& h) {
    bytes p;
    rlp::encode_string(p, h.parent_hash.view());
    rlp::encode_string(p, h.ommers_hash.view());
    rlp::encode_string(p, h.coinbase.view());
    rlp::encode_string(p, h.state_root.view());
    rlp::encode_string(p, h.transactions_root.view());
    rlp::encode_string(p, h.receipts_root.view());
    rlp::encode_string(p, h.logs_bloom.view());
    rlp::encode_uint(p, h.difficulty);
    rlp::encode_uint(p, h.number);
    rlp::encode_uint(p, h.gas_limit);
    rlp::encode_uint(p, h.gas_used);
    rlp::encode_uint(p, h.timestamp);
    rlp::encode_string(p, h.extra_data);
    rlp::encode_string(p, h.mix_hash.view());
    rlp::encode_string(p, h.nonce.view());
    // A later field is written only with all earlier ones, matching the decoder's suffix rule.
    if (!h.base_fee_per_gas) return rlp::wrap_list(p);
    rlp::encode_uint(p, *h.base_fee_per_gas);
    if (!h.withdrawals_root) return rlp::wrap_list(p);
    rlp::encode_string(p, h.withdrawals_root->view());
    if (!h.blob_gas_used || !h.excess_blob_gas) return rlp::wrap_list(p);
    rlp::encode_uint(p, *h.blob_gas_used);
    rlp::encode_uint(p, *h.excess_blob_gas);
    if (!h.parent_beacon_block_root) return rlp::wrap_list(p);
    rlp::encode_string(p, h.parent_beacon_block_root->view());
    if (!h.requests_hash) return rlp::wrap_list(p);
    rlp::encode_string(p, h.requests_hash->view());
    return rlp::wrap_list(p);
}

hash256 block_hash(const BlockHeader& header) {
    return keccak256(encode_block_header(header));
}

}  // namespace krnl::chain
