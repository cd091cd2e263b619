// Receipts as blocks commit to them: the logs bloom (Yellow Paper 4.3.1), the EIP-2718 typed
// receipt encoding and the receipts trie root.
#pragma once

#include <vector>

#include "chain/execution.hpp"

namespace krnl::chain {

// Sets the three bloom bits of `item` (an address or a topic): the low 11 bits of the first three
// byte pairs of keccak256(item) index a 2048-bit big-endian filter.
void bloom_add(Bloom& bloom, bytes_view item);
// The bloom of a log list: every log's address and topics.
Bloom logs_bloom(const std::vector<Log>& logs);
// Bitwise union, for a block's bloom over its receipts.
void bloom_merge(Bloom& into, const Bloom& other);
// Whether every bit of `item`'s bloom is set (a filter may hold false positives).
bool bloom_contains(const Bloom& bloom, bytes_view item);

// rlp([status, cumulative_gas_used, logs_bloom, logs]); typed transactions prefix their type byte
// (EIP-2718). Status is 1 for success, 0 otherwise (EIP-658).
bytes encode_receipt(const Receipt& receipt);
// rlp([address, [topics...], data]).
bytes encode_log(const Log& log);

// The trie of encoded receipts keyed by rlp(index).
hash256 receipts_root(const std::vector<Receipt>& receipts);

}  // namespace krnl::chain
