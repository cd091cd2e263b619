// Blocks: headers with every field through Prague, withdrawals (EIP-4895), the block body, their
// canonical RLP codecs, the header hash and the roots a header commits to.
#pragma once

#include <expected>
#include <optional>
#include <vector>

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

// EIP-4895: a withdrawal from the beacon chain, credited to `addr` after the transactions.
struct Withdrawal {
    uint64_t index = 0;
    uint64_t validator_index = 0;
    address addr;
    uint64_t amount_gwei = 0;
};

bytes encode_withdrawal(const Withdrawal& withdrawal);

// A whole block as the network and the fixtures carry it: rlp([header, transactions, ommers,
// withdrawals?]). Requests (EIP-7685) are not part of the body; the header commits to them.
struct Block {
    BlockHeader header;
    std::vector<Transaction> transactions;
    std::vector<BlockHeader> ommers;
    std::optional<std::vector<Withdrawal>> withdrawals;  // from Shanghai
};

// Strict decoding: every part canonical, typed transactions as RLP strings and legacy ones as
// lists, nothing after the block.
std::expected<Block, DecodeError> decode_block(bytes_view encoded);
bytes encode_block(const Block& block);

// Roots over the body: tries keyed by rlp(index) (transactions, withdrawals) and the keccak of the
// RLP list of ommer headers.
hash256 transactions_root(const std::vector<Transaction>& transactions);
hash256 withdrawals_root(const std::vector<Withdrawal>& withdrawals);
hash256 ommers_hash(const std::vector<BlockHeader>& ommers);

// keccak256(rlp([])): the ommers hash of every block after the merge.
inline constexpr hash256 kEmptyOmmersHash{{0x1d, 0xcc, 0x4d, 0xe8, 0xde, 0xc7, 0x5d, 0x7a,
                                           0xab, 0x85, 0xb5, 0x67, 0xb6, 0xcc, 0xd4, 0x1a,
                                           0xd3, 0x12, 0x45, 0x1b, 0x94, 0x8a, 0x74, 0x13,
                                           0xf0, 0xa1, 0x42, 0xfd, 0x40, 0xd4, 0x93, 0x47}};

}  // namespace krnl::chain
