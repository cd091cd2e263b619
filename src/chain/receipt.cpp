#include "chain/receipt.hpp"

#include <array>

#include "common/keccak.hpp"
#include "common/rlp.hpp"
#include "state/trie.hpp"

namespace krnl::chain {

namespace {

// The three (byte index, bit mask) positions an item sets.
std::array<std::pair<size_t, uint8_t>, 3> bloom_positions(bytes_view item) {
    const hash256 h = keccak256(item);
    std::array<std::pair<size_t, uint8_t>, 3> positions;
    for (size_t i = 0; i < 3; ++i) {
        const unsigned bit = ((unsigned(h.bytes[2 * i]) << 8) | h.bytes[2 * i + 1]) & 2047u;
        positions[i] = {Bloom::size() - 1 - bit / 8, uint8_t(1u << (bit % 8))};
    }
    return positions;
}

}  // namespace

void bloom_add(Bloom& bloom, bytes_view item) {
    for (const auto& [byte, mask] : bloom_positions(item))
        bloom.bytes[byte] |= mask;
}

bool bloom_contains(const Bloom& bloom, bytes_view item) {
    for (const auto& [byte, mask] : bloom_positions(item))
        if ((bloom.bytes[byte] & mask) == 0) return false;
    return true;
}

Bloom logs_bloom(const std::vector<Log>& logs) {
    Bloom bloom;
    for (const Log& log : logs) {
        bloom_add(bloom, log.addr.view());
        for (const hash256& topic : log.topics)
            bloom_add(bloom, topic.view());
    }
    return bloom;
}

void bloom_merge(Bloom& into, const Bloom& other) {
    for (size_t i = 0; i < Bloom::size(); ++i)
        into.bytes[i] |= other.bytes[i];
}

bytes encode_log(const Log& log) {
    bytes topics;
    for (const hash256& t : log.topics)
        rlp::encode_string(topics, t.view());
    bytes p;
    rlp::encode_string(p, log.addr.view());
    p += rlp::wrap_list(topics);
    rlp::encode_string(p, log.data);
    return rlp::wrap_list(p);
}

bytes encode_receipt(const Receipt& receipt) {
    bytes p;
    rlp::encode_uint(p, uint64_t(receipt.status == evm::StatusCode::Success ? 1 : 0));
    rlp::encode_uint(p, receipt.cumulative_gas_used);
    rlp::encode_string(p, receipt.logs_bloom.view());
    bytes logs;
    for (const Log& log : receipt.logs)
        logs += encode_log(log);
    p += rlp::wrap_list(logs);
    bytes out;
    if (receipt.type != TxType::Legacy) out.push_back(static_cast<uint8_t>(receipt.type));
    out += rlp::wrap_list(p);
    return out;
}

hash256 receipts_root(const std::vector<Receipt>& receipts) {
    std::vector<std::pair<bytes, bytes>> entries;
    entries.reserve(receipts.size());
    for (size_t i = 0; i < receipts.size(); ++i) {
        bytes key;
        rlp::encode_uint(key, uint64_t(i));
        entries.emplace_back(std::move(key), encode_receipt(receipts[i]));
    }
    return state::trie_root(std::move(entries));
}

}  // namespace krnl::chain
