#include "chain/block.hpp"

#include "chain/rlp_fields.hpp"
#include "common/keccak.hpp"
#include "state/trie.hpp"

namespace krnl::chain {

namespace {

// The fields of one header list payload.
std::expected<BlockHeader, DecodeError> decode_header_fields(bytes_view payload) {
    FieldReader r(payload);
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

std::expected<Withdrawal, DecodeError> decode_withdrawal(bytes_view payload) {
    FieldReader r(payload);
    Withdrawal w;
    KRNL_TRY_ASSIGN(w.index, r.u64("withdrawal index"));
    KRNL_TRY_ASSIGN(w.validator_index, r.u64("withdrawal validatorIndex"));
    KRNL_TRY_ASSIGN(w.addr, r.addr("withdrawal address"));
    KRNL_TRY_ASSIGN(w.amount_gwei, r.u64("withdrawal amount"));
    if (auto end = expect_end(r, "withdrawal"); !end) return std::unexpected(end.error());
    return w;
}

// One transaction of a block body: a legacy transaction is an RLP list, a typed one an RLP
// string holding type || payload.
std::expected<Transaction, DecodeError> decode_body_transaction(FieldReader& items) {
    bytes_view rest = items.remaining();
    auto item = rlp::decode_item(rest);
    if (!item)
        return std::unexpected(DecodeError{DecodeErrorCode::Rlp, item.error(), "transaction"});
    bytes_view cursor = *item;
    auto header = rlp::decode_header(cursor);
    if (!header)
        return std::unexpected(DecodeError{DecodeErrorCode::Rlp, header.error(), "transaction"});
    bytes_view encoding = *item;
    if (!header->list) {
        KRNL_TRY_ASSIGN(encoding, items.string("transaction"));
        // A typed envelope starts with its type byte; anything else in a string is not one.
        if (encoding.empty() || encoding[0] >= 0x80)
            return std::unexpected(
                DecodeError{DecodeErrorCode::UnsupportedType, {}, "transaction"});
    } else {
        KRNL_TRY_ASSIGN(cursor, items.list("transaction"));
    }
    return decode_transaction(encoding);
}

}  // namespace

std::expected<BlockHeader, DecodeError> decode_block_header(bytes_view encoded) {
    if (encoded.empty()) return std::unexpected(DecodeError{DecodeErrorCode::Empty, {}, "header"});
    bytes_view in = encoded;
    auto payload = rlp::decode_list(in);
    if (!payload)
        return std::unexpected(DecodeError{DecodeErrorCode::Rlp, payload.error(), "header"});
    if (!in.empty())
        return std::unexpected(DecodeError{DecodeErrorCode::TrailingBytes, {}, "header"});
    return decode_header_fields(*payload);
}

std::expected<Block, DecodeError> decode_block(bytes_view encoded) {
    if (encoded.empty()) return std::unexpected(DecodeError{DecodeErrorCode::Empty, {}, "block"});
    bytes_view in = encoded;
    auto payload = rlp::decode_list(in);
    if (!payload)
        return std::unexpected(DecodeError{DecodeErrorCode::Rlp, payload.error(), "block"});
    if (!in.empty())
        return std::unexpected(DecodeError{DecodeErrorCode::TrailingBytes, {}, "block"});

    FieldReader r(*payload);
    Block block;
    bytes_view header_payload;
    KRNL_TRY_ASSIGN(header_payload, r.list("header"));
    KRNL_TRY_ASSIGN(block.header, decode_header_fields(header_payload));

    bytes_view txs_payload;
    KRNL_TRY_ASSIGN(txs_payload, r.list("transactions"));
    FieldReader txs(txs_payload);
    while (!txs.done()) {
        Transaction tx;
        KRNL_TRY_ASSIGN(tx, decode_body_transaction(txs));
        block.transactions.push_back(std::move(tx));
    }

    bytes_view ommers_payload;
    KRNL_TRY_ASSIGN(ommers_payload, r.list("ommers"));
    FieldReader ommers(ommers_payload);
    while (!ommers.done()) {
        bytes_view ommer_payload;
        KRNL_TRY_ASSIGN(ommer_payload, ommers.list("ommer"));
        BlockHeader ommer;
        KRNL_TRY_ASSIGN(ommer, decode_header_fields(ommer_payload));
        block.ommers.push_back(std::move(ommer));
    }

    if (!r.done()) {
        bytes_view withdrawals_payload;
        KRNL_TRY_ASSIGN(withdrawals_payload, r.list("withdrawals"));
        FieldReader items(withdrawals_payload);
        std::vector<Withdrawal> withdrawals;
        while (!items.done()) {
            bytes_view item;
            KRNL_TRY_ASSIGN(item, items.list("withdrawal"));
            Withdrawal w;
            KRNL_TRY_ASSIGN(w, decode_withdrawal(item));
            withdrawals.push_back(w);
        }
        block.withdrawals = std::move(withdrawals);
    }
    if (auto end = expect_end(r, "block"); !end) return std::unexpected(end.error());
    return block;
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

bytes encode_withdrawal(const Withdrawal& w) {
    bytes p;
    rlp::encode_uint(p, w.index);
    rlp::encode_uint(p, w.validator_index);
    rlp::encode_string(p, w.addr.view());
    rlp::encode_uint(p, w.amount_gwei);
    return rlp::wrap_list(p);
}

bytes encode_block(const Block& block) {
    bytes p = encode_block_header(block.header);
    bytes txs;
    for (const Transaction& tx : block.transactions) {
        const bytes encoded = encode_transaction(tx);
        if (tx.type == TxType::Legacy)
            txs += encoded;
        else
            rlp::encode_string(txs, encoded);
    }
    p += rlp::wrap_list(txs);
    bytes ommers;
    for (const BlockHeader& ommer : block.ommers)
        ommers += encode_block_header(ommer);
    p += rlp::wrap_list(ommers);
    if (block.withdrawals) {
        bytes withdrawals;
        for (const Withdrawal& w : *block.withdrawals)
            withdrawals += encode_withdrawal(w);
        p += rlp::wrap_list(withdrawals);
    }
    return rlp::wrap_list(p);
}

namespace {

bytes index_key(size_t index) {
    bytes key;
    rlp::encode_uint(key, uint64_t(index));
    return key;
}

}  // namespace

hash256 transactions_root(const std::vector<Transaction>& transactions) {
    std::vector<std::pair<bytes, bytes>> entries;
    entries.reserve(transactions.size());
    for (size_t i = 0; i < transactions.size(); ++i)
        entries.emplace_back(index_key(i), encode_transaction(transactions[i]));
    return state::trie_root(std::move(entries));
}

hash256 withdrawals_root(const std::vector<Withdrawal>& withdrawals) {
    std::vector<std::pair<bytes, bytes>> entries;
    entries.reserve(withdrawals.size());
    for (size_t i = 0; i < withdrawals.size(); ++i)
        entries.emplace_back(index_key(i), encode_withdrawal(withdrawals[i]));
    return state::trie_root(std::move(entries));
}

hash256 ommers_hash(const std::vector<BlockHeader>& ommers) {
    bytes list;
    for (const BlockHeader& ommer : ommers)
        list += encode_block_header(ommer);
    return keccak256(rlp::wrap_list(list));
}

}  // namespace krnl::chain
