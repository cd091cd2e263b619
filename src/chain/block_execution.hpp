// Executing a whole block against a state (import) and building one (mining): system calls,
// transactions, withdrawals, EIP-7685 requests, and every header field the body determines.
#pragma once

#include <expected>
#include <functional>
#include <optional>
#include <vector>

#include "chain/header_validation.hpp"
#include "chain/receipt.hpp"
#include "chain/system_contracts.hpp"

namespace krnl::chain {

// What executing a block produced: everything its header commits to except the state root, which
// the caller computes from the state in its own way (the node's store, a full trie in the tests).
struct BlockResult {
    std::vector<Receipt> receipts;  // with cumulative gas, bloom, logs and contract address
    uint64_t gas_used = 0;
    uint64_t blob_gas_used = 0;
    Bloom logs_bloom;
    hash256 transactions_root;
    hash256 receipts_root;
    std::optional<hash256> withdrawals_root;  // from Shanghai
    std::vector<bytes> requests;              // Prague: type || data, in type order
    std::optional<hash256> requests_hash;     // from Prague
    std::vector<address> senders;
};

// What a chain's configuration adds to the revision when its blocks are executed.
struct ChainRules {
    // EIP-6110's deposit contract: its DepositEvent logs become deposit requests (Prague+). None
    // on krnld's own chains unless their config names one; the official fixtures use mainnet's,
    // kMainnetDepositContractAddress.
    std::optional<address> deposit_contract;
    // The block's blob parameters when the chain's blob schedule differs from the revision's
    // defaults (EIP-7892's blob-parameter-only forks).
    std::optional<BlobParams> blob_params;

    BlobParams blob(evm::Revision rev) const {
        return blob_params.value_or(default_blob_params(rev));
    }
};

// The environment the transactions of a block see.
BlockInfo block_info(const BlockHeader& header, uint64_t chain_id);
BlockInfo block_info(const BlockHeader& header, uint64_t chain_id, const ChainRules& rules);

// Validates `block` against `parent` and executes it on `state` (which must hold the parent's
// post-state). On success the state holds the block's post-state and every header field except
// the state root has been checked. On error the state is left partly modified: run on a copy (or
// discard the state) when the block may be invalid.
std::expected<BlockResult, BlockError> execute_block(
    state::State& state, evm::Revision rev, uint64_t chain_id, const Block& block,
    const BlockHeader& parent, const BlockHashFn& block_hash, evm::AnalysisCache& cache,
    evm::Tracer* tracer = nullptr, const ChainRules& rules = {});

// What the miner chooses for a new block; the rest is derived from the parent or the body.
struct BlockAttributes {
    uint64_t timestamp = 0;
    address coinbase;
    uint64_t gas_limit = 0;
    hash256 prev_randao;
    std::optional<hash256> parent_beacon_block_root;  // Cancun+: defaults to zero when absent
    bytes extra_data;
    std::vector<Withdrawal> withdrawals;  // Shanghai+
    std::optional<uint256> base_fee;      // London+: overrides EIP-1559's (a dev chain's choice)
};

// A block and its receipts, as BlockBuilder::seal returns them.
struct SealedBlock {
    Block block;
    std::vector<Receipt> receipts;
    std::vector<address> senders;
};

// Builds a block on `state` (holding the parent's post-state) one transaction at a time. The
// constructor runs the start-of-block system calls; add_transaction applies a transaction or
// leaves everything unchanged; finish applies withdrawals and the end-of-block system calls; the
// caller then computes the state root and seals.
class BlockBuilder {
public:
    // What the block's RLP needs beside its transactions (EIP-7934's count): the header, the
    // list headers, withdrawals (none on krnld's chains) with room to spare; and the most an
    // item's RLP header adds to a transaction's encoding.
    static constexpr size_t kBlockRlpReserve = 64 * 1024;
    static constexpr size_t kRlpItemHeaderBytes = 9;

    BlockBuilder(state::State& state, evm::Revision rev, const BlockHeader& parent,
                 const BlockAttributes& attributes, uint64_t chain_id, BlockHashFn block_hash,
                 evm::AnalysisCache& cache, ChainRules rules = {});

    // The receipt stays valid until the next call. A transaction over the block's remaining gas
    // (or, from Osaka, over what EIP-7934 leaves of the block's size) fails with
    // GasLimitExceedsBlock, one over its remaining blob space with TooManyBlobs; after finish()
    // every transaction fails with GasLimitExceedsBlock.
    std::expected<std::reference_wrapper<const Receipt>, TxError> add_transaction(
        const Transaction& tx, const address& sender);

    uint64_t gas_used() const { return gas_used_; }
    uint64_t gas_remaining() const { return header_.gas_limit - gas_used_; }
    const BlockHeader& header() const { return header_; }

    // Ends the body: withdrawals, then (Prague) the requests: deposits from the receipts' logs
    // and the request system calls. No transaction may be added afterwards. Fails only when a
    // request system call fails or a deposit contract log is malformed.
    std::expected<void, BlockError> finish();

    // The block with every header field filled, given the root of the state after finish().
    // Fails (code StateRoot) when finish() has not run: the root could not cover its changes.
    std::expected<SealedBlock, BlockError> seal(const hash256& state_root);

private:
    state::State& state_;
    evm::Revision rev_;
    uint64_t chain_id_;
    BlockHashFn block_hash_;
    evm::AnalysisCache& cache_;
    ChainRules rules_;
    BlockHeader header_;
    BlockInfo info_;
    std::vector<Transaction> transactions_;
    std::vector<Receipt> receipts_;
    std::vector<address> senders_;
    std::vector<Withdrawal> withdrawals_;
    std::vector<bytes> requests_;
    uint64_t gas_used_ = 0;
    uint64_t blob_gas_used_ = 0;
    size_t transactions_bytes_ = 0;  // Osaka: the body's transactions, RLP-encoded
    bool finished_ = false;
};

}  // namespace krnl::chain
