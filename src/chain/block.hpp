// Block headers: the model with every field through Prague, the canonical RLP codec and the hash.
#pragma once

#include <expected>
#include <optional>

#include "chain/transaction.hpp"
#include "common/bytes.hpp"
#include "common/uint256.hpp"

namespace krnl::chain {

using Bloom = fixed_bytes<256>;

struct BlockHeader {
    hash256 parent_hash;
    hash256 ommers_hash;
    address coinbase;
    hash256 state_root;
    hash256 transactions_root;
    hash256 receipts_root;
    Bloom logs_bloom;
    uint256 difficulty;
    uint64_t number = 0;
    uint64_t gas_limit = 0;
    uint64_t gas_used = 0;
    uint64_t timestamp = 0;
    bytes extra_data;
    hash256 mix_hash;  // PREVRANDAO after the merge
    fixed_bytes<8> nonce;
    // Fields added by later forks, present in this order and only as a suffix.
    std::optional<uint256> base_fee_per_gas;          // London (EIP-1559)
    std::optional<hash256> withdrawals_root;          // Shanghai (EIP-4895)
    std::optional<uint64_t> blob_gas_used;            // Cancun (EIP-4844)
    std::optional<uint64_t> excess_blob_gas;          // Cancun (EIP-4844)
    std::optional<hash256> parent_beacon_block_root;  // Cancun (EIP-4788)
    std::optional<hash256> requests_hash;             // Prague (EIP-7685)
};

// Strict decoding of one header list: canonical RLP, exact field sizes, optional fields only as a
// contiguous suffix, nothing after the list.
std::expected<BlockHeader, DecodeError> decode_block_header(bytes_view encoded);
bytes encode_block_header(const BlockHeader& header);
hash256 block_hash(const BlockHeader& header);

}  // namespace krnl::chain
