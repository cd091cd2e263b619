#include "chain/block_execution.hpp"

#include "chain/deposit_requests.hpp"

namespace krnl::chain {

using evm::Revision;

namespace {

BlockError error(BlockErrorCode code, std::string message) {
    return BlockError{code, std::move(message), std::nullopt, std::nullopt};
}

BlockError tx_error(size_t index, TxError e, std::string_view detail = {}) {
    std::string message = "transaction " + std::to_string(index) + ": ";
    message += detail.empty() ? tx_error_message(e) : detail;
    return BlockError{BlockErrorCode::InvalidTransaction, std::move(message), index, e};
}

uint64_t tx_blob_gas(const Transaction& tx) {
    return tx.type == TxType::Blob ? kBlobGasPerBlob * tx.blob_versioned_hashes.size() : 0;
}

// EIP-4895: credits each withdrawal (gwei to wei); a zero withdrawal to an absent account leaves
// it absent.
void apply_withdrawals(state::State& state, const std::vector<Withdrawal>& withdrawals) {
    for (const Withdrawal& w : withdrawals)
        state.add_balance(w.addr, uint256(w.amount_gwei) * uint256(1'000'000'000));
    state.finalize_transaction(true);
}

std::string hex_mismatch(std::string_view field, bytes_view header, bytes_view computed) {
    return std::string(field) + " " + to_hex(header) + " in the header, computed " +
           to_hex(computed);
}

// The block's EIP-7685 requests (Prague+): deposits from the receipts' logs, then the system-call
// queues.
std::expected<std::vector<bytes>, BlockError> block_requests(
    state::State& state, Revision rev, const BlockInfo& info, const std::vector<Receipt>& receipts,
    const ChainRules& rules, evm::AnalysisCache& cache, const BlockHashFn& block_hash,
    evm::Tracer* tracer) {
    bytes deposits;
    if (rules.deposit_contract) {
        auto parsed = deposit_requests(receipts, *rules.deposit_contract);
        if (!parsed) return std::unexpected(error(BlockErrorCode::DepositEvent, parsed.error()));
        deposits = std::move(*parsed);
    }
    return collect_requests(state, rev, info, deposits, cache, block_hash, tracer);
}

std::string number_mismatch(std::string_view field, uint64_t header, uint64_t computed) {
    return std::string(field) + " " + std::to_string(header) + " in the header, computed " +
           std::to_string(computed);
}

}  // namespace

BlockInfo block_info(const BlockHeader& header, uint64_t chain_id) {
    BlockInfo info;
    info.number = static_cast<int64_t>(header.number);
    info.timestamp = static_cast<int64_t>(header.timestamp);
    info.gas_limit = static_cast<int64_t>(header.gas_limit);
    info.coinbase = header.coinbase;
    info.prev_randao = uint256::load_be(header.mix_hash.bytes);
    info.base_fee = header.base_fee_per_gas.value_or(uint256{});
    info.excess_blob_gas = header.excess_blob_gas.value_or(0);
    info.chain_id = chain_id;
    return info;
}

BlockInfo block_info(const BlockHeader& header, uint64_t chain_id, const ChainRules& rules) {
    BlockInfo info = block_info(header, chain_id);
    if (rules.blob_params)
        info.blob_base_fee_update_fraction = rules.blob_params->base_fee_update_fraction;
    return info;
}

std::expected<BlockResult, BlockError> execute_block(state::State& state, Revision rev,
                                                     uint64_t chain_id, const Block& block,
                                                     const BlockHeader& parent,
                                                     const BlockHashFn& block_hash,
                                                     evm::AnalysisCache& cache, evm::Tracer* tracer,
                                                     const ChainRules& rules) {
    const BlockHeader& h = block.header;
    const BlobParams blob = rules.blob(rev);
    if (auto e = validate_header(h, parent, rev, blob)) return std::unexpected(*e);
    if (rev >= Revision::Osaka)
        if (const size_t size = encode_block(block).size(); size > kMaxRlpBlockSize)
            return std::unexpected(
                error(BlockErrorCode::BlockSize, "block RLP is " + std::to_string(size) +
                                                     " bytes, over EIP-7934's " +
                                                     std::to_string(kMaxRlpBlockSize)));

    // --- The body against the header's commitments.
    if (rev >= Revision::Paris && !block.ommers.empty())
        return std::unexpected(
            error(BlockErrorCode::Ommers,
                  std::to_string(block.ommers.size()) + " ommers, none allowed after the merge"));
    if (const hash256 computed = ommers_hash(block.ommers); computed != h.ommers_hash)
        return std::unexpected(
            error(BlockErrorCode::Ommers, hex_mismatch("ommersHash", h.ommers_hash, computed)));
    if (block.withdrawals.has_value() != (rev >= Revision::Shanghai))
        return std::unexpected(error(
            BlockErrorCode::Withdrawals,
            block.withdrawals ? "withdrawals present before Shanghai" : "withdrawals missing"));

    BlockResult result;
    result.transactions_root = transactions_root(block.transactions);
    if (result.transactions_root != h.transactions_root)
        return std::unexpected(
            error(BlockErrorCode::TransactionsRoot,
                  hex_mismatch("transactionsRoot", h.transactions_root, result.transactions_root)));
    if (block.withdrawals) {
        result.withdrawals_root = withdrawals_root(*block.withdrawals);
        if (h.withdrawals_root != result.withdrawals_root)
            return std::unexpected(error(BlockErrorCode::WithdrawalsRoot,
                                         hex_mismatch("withdrawalsRoot", h.withdrawals_root->view(),
                                                      result.withdrawals_root->view())));
    }

    // --- Execution.
    const BlockInfo info = block_info(h, chain_id, rules);
    apply_block_start_system_calls(state, rev, info, h.parent_beacon_block_root, h.parent_hash,
                                   cache, block_hash, tracer);

    const uint64_t max_blob_gas = rev >= Revision::Cancun ? max_blob_gas_per_block(blob) : 0;
    result.receipts.reserve(block.transactions.size());
    for (size_t i = 0; i < block.transactions.size(); ++i) {
        const Transaction& tx = block.transactions[i];
        auto sender = check_transaction(tx, rev, chain_id);
        if (!sender) return std::unexpected(tx_error(i, sender.error()));
        if (tx.gas_limit > h.gas_limit - result.gas_used)
            return std::unexpected(tx_error(i, TxError::GasLimitExceedsBlock,
                                            "gas limit " + std::to_string(tx.gas_limit) +
                                                " exceeds the block's remaining " +
                                                std::to_string(h.gas_limit - result.gas_used)));
        const uint64_t blob_gas = tx_blob_gas(tx);
        if (blob_gas > max_blob_gas - result.blob_gas_used)
            return std::unexpected(tx_error(i, TxError::TooManyBlobs,
                                            "blob gas exceeds the block's remaining blob gas"));
        auto receipt = apply_transaction(state, rev, info, tx, *sender, cache, block_hash, tracer);
        if (!receipt) return std::unexpected(tx_error(i, receipt.error()));
        result.gas_used += static_cast<uint64_t>(receipt->gas_used);
        result.blob_gas_used += blob_gas;
        receipt->cumulative_gas_used = result.gas_used;
        bloom_merge(result.logs_bloom, receipt->logs_bloom);
        result.receipts.push_back(std::move(*receipt));
        result.senders.push_back(*sender);
    }
    if (block.withdrawals) apply_withdrawals(state, *block.withdrawals);
    if (rev >= Revision::Prague) {
        auto requests =
            block_requests(state, rev, info, result.receipts, rules, cache, block_hash, tracer);
        if (!requests) return std::unexpected(requests.error());
        result.requests = std::move(*requests);
        result.requests_hash = requests_hash(result.requests);
    }

    // --- The header's execution fields against what execution produced.
    if (h.gas_used != result.gas_used)
        return std::unexpected(error(BlockErrorCode::GasUsed,
                                     number_mismatch("gasUsed", h.gas_used, result.gas_used)));
    if (h.blob_gas_used && *h.blob_gas_used != result.blob_gas_used)
        return std::unexpected(
            error(BlockErrorCode::BlobGasUsed,
                  number_mismatch("blobGasUsed", *h.blob_gas_used, result.blob_gas_used)));
    if (h.logs_bloom != result.logs_bloom)
        return std::unexpected(error(BlockErrorCode::LogsBloom,
                                     hex_mismatch("logsBloom", h.logs_bloom, result.logs_bloom)));
    result.receipts_root = receipts_root(result.receipts);
    if (h.receipts_root != result.receipts_root)
        return std::unexpected(
            error(BlockErrorCode::ReceiptsRoot,
                  hex_mismatch("receiptsRoot", h.receipts_root, result.receipts_root)));
    if (result.requests_hash && h.requests_hash != result.requests_hash)
        return std::unexpected(error(
            BlockErrorCode::RequestsHash,
            hex_mismatch("requestsHash", h.requests_hash->view(), result.requests_hash->view())));
    return result;
}

// ---------------------------------------------------------------------------------------------
// BlockBuilder

BlockBuilder::BlockBuilder(state::State& state, Revision rev, const BlockHeader& parent,
                           const BlockAttributes& attributes, uint64_t chain_id,
                           BlockHashFn block_hash, evm::AnalysisCache& cache, ChainRules rules)
    : state_(state),
      rev_(rev),
      chain_id_(chain_id),
      block_hash_(std::move(block_hash)),
      cache_(cache),
      rules_(std::move(rules)),
      withdrawals_(attributes.withdrawals) {
    BlockHeader& h = header_;
    h.parent_hash = chain::block_hash(parent);
    h.ommers_hash = kEmptyOmmersHash;
    h.coinbase = attributes.coinbase;
    h.number = parent.number + 1;
    h.gas_limit = attributes.gas_limit;
    h.timestamp = attributes.timestamp;
    h.extra_data = attributes.extra_data;
    h.mix_hash = attributes.prev_randao;
    if (rev >= Revision::London)
        h.base_fee_per_gas = attributes.base_fee.value_or(next_base_fee(parent));
    if (rev >= Revision::Shanghai) h.withdrawals_root = kEmptyTrieRoot;
    if (rev >= Revision::Cancun) {
        h.blob_gas_used = 0;
        h.excess_blob_gas = next_excess_blob_gas(parent, rev, rules_.blob(rev));
        h.parent_beacon_block_root = attributes.parent_beacon_block_root.value_or(hash256{});
    }
    info_ = block_info(h, chain_id, rules_);
    apply_block_start_system_calls(state_, rev_, info_, h.parent_beacon_block_root, h.parent_hash,
                                   cache_, block_hash_);
}

std::expected<std::reference_wrapper<const Receipt>, TxError> BlockBuilder::add_transaction(
    const Transaction& tx, const address& sender) {
    if (finished_) return std::unexpected(TxError::GasLimitExceedsBlock);
    if (tx.gas_limit > gas_remaining()) return std::unexpected(TxError::GasLimitExceedsBlock);
    const uint64_t blob_gas = tx_blob_gas(tx);
    const uint64_t max_blob_gas =
        rev_ >= Revision::Cancun ? max_blob_gas_per_block(rules_.blob(rev_)) : 0;
    if (blob_gas > max_blob_gas - blob_gas_used_) return std::unexpected(TxError::TooManyBlobs);
    // EIP-7934: the block's RLP stays under its limit. A transaction that would push the body
    // over it waits for the next block, as one over the remaining gas does.
    size_t encoded_size = 0;
    if (rev_ >= Revision::Osaka) {
        encoded_size = encode_transaction(tx).size() + kRlpItemHeaderBytes;
        if (encoded_size > kMaxRlpBlockSize - kBlockRlpReserve - transactions_bytes_)
            return std::unexpected(TxError::GasLimitExceedsBlock);
    }
    auto receipt = apply_transaction(state_, rev_, info_, tx, sender, cache_, block_hash_);
    if (!receipt) return std::unexpected(receipt.error());
    transactions_bytes_ += encoded_size;
    gas_used_ += static_cast<uint64_t>(receipt->gas_used);
    blob_gas_used_ += blob_gas;
    receipt->cumulative_gas_used = gas_used_;
    transactions_.push_back(tx);
    senders_.push_back(sender);
    receipts_.push_back(std::move(*receipt));
    return std::cref(receipts_.back());
}

std::expected<void, BlockError> BlockBuilder::finish() {
    if (finished_) return {};
    if (rev_ >= Revision::Shanghai) apply_withdrawals(state_, withdrawals_);
    if (rev_ >= Revision::Prague) {
        auto requests =
            block_requests(state_, rev_, info_, receipts_, rules_, cache_, block_hash_, nullptr);
        if (!requests) return std::unexpected(requests.error());
        requests_ = std::move(*requests);
    }
    finished_ = true;
    return {};
}

std::expected<SealedBlock, BlockError> BlockBuilder::seal(const hash256& state_root) {
    if (!finished_)
        return std::unexpected(
            error(BlockErrorCode::StateRoot,
                  "seal before finish: the state root would miss withdrawals and requests"));
    SealedBlock sealed;
    BlockHeader& h = sealed.block.header;
    h = header_;
    h.state_root = state_root;
    h.transactions_root = transactions_root(transactions_);
    h.receipts_root = receipts_root(receipts_);
    for (const Receipt& r : receipts_)
        bloom_merge(h.logs_bloom, r.logs_bloom);
    h.gas_used = gas_used_;
    if (rev_ >= Revision::Shanghai) h.withdrawals_root = withdrawals_root(withdrawals_);
    if (rev_ >= Revision::Cancun) h.blob_gas_used = blob_gas_used_;
    if (rev_ >= Revision::Prague) h.requests_hash = requests_hash(requests_);
    sealed.block.transactions = transactions_;
    if (rev_ >= Revision::Shanghai) sealed.block.withdrawals = withdrawals_;
    sealed.receipts = receipts_;
    sealed.senders = senders_;
    return sealed;
}

}  // namespace krnl::chain
