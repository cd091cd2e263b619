// The blocks of one chain in its database, beside its state (state/flat_state.hpp): headers,
// bodies with their senders, receipts, the transaction index, the head, and the persisted part of
// the transaction pool. Everything a block adds is written in the caller's write transaction, so a
// block and its state commit together or not at all.
//
// Tables:
//   headers       be64(number) -> header RLP
//   block_numbers block hash -> be64(number)
//   blocks        be64(number) -> block RLP (header, transactions, ommers, withdrawals)
//   senders       be64(number) -> the senders of its transactions, 20 bytes each
//   receipts      be64(number) -> RLP list of stored receipts (see encode_stored_receipts)
//   tx_index      transaction hash -> be64(number) ‖ be32(index)
//   versions      be64(number) -> be64(state version the block committed)
//   meta          "head" -> be64(number), "version" -> be64(latest state version)
//   pool          transaction hash -> sender ‖ envelope (acknowledged, not yet in a block)
//   user_ops      user operation hash -> the bundler's record (acknowledged, not yet bundled)
#pragma once

#include <array>
#include <functional>

#include "chain/block.hpp"
#include "chain/execution.hpp"
#include "state/database.hpp"

namespace krnl::chain {

// A receipt as the node keeps it: the consensus fields plus what RPC reports (the bloom is
// recomputed from the logs).
struct StoredReceipt {
    TxType type = TxType::Legacy;
    bool success = false;
    uint64_t cumulative_gas_used = 0;
    uint64_t gas_used = 0;
    uint64_t blob_gas_used = 0;
    std::optional<address> contract_address;
    std::vector<Log> logs;
};

StoredReceipt to_stored(const Receipt& receipt, const Transaction& tx);
bytes encode_stored_receipts(const std::vector<StoredReceipt>& receipts);
std::optional<std::vector<StoredReceipt>> decode_stored_receipts(bytes_view encoded);

struct TxLocation {
    uint64_t block_number = 0;
    uint32_t index = 0;
};

class ChainStore {
public:
    static constexpr std::array<std::string_view, 10> kTables = {
        "headers",  "block_numbers", "blocks", "senders", "receipts",
        "tx_index", "versions",      "meta",   "pool",    "user_ops"};

    explicit ChainStore(const state::Database& db);

    // Writes a block, its senders and receipts, indexes its transactions and makes it the head.
    // `version` is the state version (state/flat_state.hpp) the block's post-state was committed
    // as; dev edits between blocks make versions of their own.
    void put_block(state::Database::Txn& txn, const Block& block, const hash256& hash,
                   const std::vector<address>& senders, const std::vector<StoredReceipt>& receipts,
                   uint64_t version) const;
    // Removes every block above `number` (dev snapshots), and makes `number` the head.
    void truncate(state::Database::Txn& txn, uint64_t number) const;

    std::optional<uint64_t> head(const state::Database::Txn& txn) const;
    uint64_t version(const state::Database::Txn& txn) const;
    void set_version(state::Database::Txn& txn, uint64_t version) const;
    std::optional<uint64_t> version_of(const state::Database::Txn& txn, uint64_t number) const;
    std::optional<BlockHeader> header(const state::Database::Txn& txn, uint64_t number) const;
    std::optional<hash256> hash(const state::Database::Txn& txn, uint64_t number) const;
    std::optional<uint64_t> number_of(const state::Database::Txn& txn, const hash256& hash) const;
    std::optional<Block> block(const state::Database::Txn& txn, uint64_t number) const;
    std::vector<address> senders(const state::Database::Txn& txn, uint64_t number) const;
    std::optional<std::vector<StoredReceipt>> receipts(const state::Database::Txn& txn,
                                                       uint64_t number) const;
    std::optional<TxLocation> find_transaction(const state::Database::Txn& txn,
                                               const hash256& tx_hash) const;

    void put_pool_transaction(state::Database::Txn& txn, const hash256& hash,
                              bytes_view record) const;
    void remove_pool_transaction(state::Database::Txn& txn, const hash256& hash) const;
    void for_each_pool_transaction(const state::Database::Txn& txn,
                                   const std::function<void(bytes_view record)>& fn) const;

    void put_user_op(state::Database::Txn& txn, const hash256& hash, bytes_view record) const;
    void remove_user_op(state::Database::Txn& txn, const hash256& hash) const;
    void for_each_user_op(const state::Database::Txn& txn,
                          const std::function<void(bytes_view record)>& fn) const;

private:
    const state::Database& db_;
    state::Table headers_, block_numbers_, blocks_, senders_, receipts_, tx_index_, versions_,
        meta_, pool_, user_ops_;
};

}  // namespace krnl::chain
