// One embedded chain: its database (state and blocks), the transaction pool, the miner and the
// dev controls (time, snapshots, state edits). Writers serialise on the chain's lock; readers
// take a `ChainReader`, a consistent snapshot of the committed chain that never waits for them.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "chain/block_execution.hpp"
#include "chain/chain_store.hpp"
#include "chain/predeploys.hpp"
#include "chain/tx_pool.hpp"
#include "state/flat_state.hpp"

namespace krnl::chain {

struct GenesisAccount {
    uint256 balance;
    uint64_t nonce = 0;
    bytes code;
    std::vector<std::pair<uint256, uint256>> storage;
};

struct ChainConfig {
    uint64_t chain_id = 31337;
    std::string name = "krnl";
    evm::Revision revision = evm::Revision::Osaka;
    // EIP-6110: the deposit contract whose DepositEvent logs become deposit requests. None by
    // default: a dev chain has no beacon chain to deposit to.
    std::optional<address> deposit_contract;
    uint64_t gas_limit = 30'000'000;
    uint256 initial_base_fee = 1'000'000'000;
    uint64_t genesis_timestamp = 0;  // 0: the time the chain is created
    address coinbase;
    std::map<address, GenesisAccount> alloc;
    std::vector<Predeploy> predeploys;  // replayed at genesis, after the alloc
    TxPool::Limits pool;
    // Gas for eth_call and eth_estimateGas when the call gives none, and their upper bound.
    uint64_t call_gas_cap = 50'000'000;
    // Fork mode: the chain continues another node's chain from its block `header.number`, stored
    // as this chain's first block under the upstream's `hash`; state absent locally (and block
    // hashes below the fork block) is read from `remote`, which must outlive the chain. The
    // alloc only sets balances over the upstream's accounts; predeploys are not installed.
    struct Fork {
        const state::RemoteSource* remote = nullptr;
        BlockHeader header;
        hash256 hash;
    };
    std::optional<Fork> fork;
};

// Why a transaction was not accepted, with the message an RPC client sees.
struct SubmitError {
    // Storage: the database failed (state/database.hpp); nothing was acknowledged.
    enum class Kind { Invalid, Pool, Unsupported, Storage } kind = Kind::Invalid;
    std::string message;
};

// A committed block as listeners receive it.
struct BlockEvent {
    Block block;
    hash256 hash;
    std::vector<address> senders;
    std::vector<StoredReceipt> receipts;
};

class ChainReader;

// Blocks taken off the head: by a snapshot's revert, rollback, reorg or reset. Blocks numbered
// `first_removed` and up are gone, and later blocks may take their numbers again.
struct HeadRewound {
    uint64_t first_removed = 0;
    uint64_t old_head = 0;
    // For rollback and reorg, which model a reorg, the chain as it was, to read the removed blocks
    // from (valid during the call): their logs are announced as removed, as a node announces a
    // reorg's. Null for a revert and a reset, which put back a state (as anvil and Hardhat do).
    const ChainReader* before = nullptr;
};

class ChainReader {
public:
    uint64_t head() const { return head_; }
    std::optional<BlockHeader> header(uint64_t number) const { return store_.header(txn_, number); }
    std::optional<hash256> hash(uint64_t number) const { return store_.hash(txn_, number); }
    std::optional<uint64_t> number_of(const hash256& h) const { return store_.number_of(txn_, h); }
    std::optional<Block> block(uint64_t number) const { return store_.block(txn_, number); }
    std::vector<address> senders(uint64_t number) const { return store_.senders(txn_, number); }
    std::optional<std::vector<StoredReceipt>> receipts(uint64_t number) const {
        return store_.receipts(txn_, number);
    }
    std::optional<TxLocation> find_transaction(const hash256& h) const {
        return store_.find_transaction(txn_, h);
    }
    // The state after block `number` (the latest state, dev edits included, for the head).
    std::unique_ptr<state::StateView> state_at(uint64_t number) const;
    // The state block `number` (> 0) was built on: its parent's state with the dev edits made
    // before it was mined (anvil_setCode, ...), so a replay of the block meets what it met.
    std::unique_ptr<state::StateView> state_before(uint64_t number) const;
    BlockHashFn block_hashes() const;
    // The version of the latest state: it moves with every block and every dev edit.
    uint64_t state_version() const { return store_.version(txn_); }
    const state::Database::Txn& txn() const { return txn_; }

private:
    friend class Chain;
    ChainReader(state::Database::Txn txn, const ChainStore& store, const state::FlatState& flat);
    state::Database::Txn txn_;
    const ChainStore& store_;
    const state::FlatState& flat_;
    uint64_t head_ = 0;
};

// `tx` with the placeholder signature of a transaction sent as `sender` without its key
// (impersonation): r holds the sender, so equal transactions of different senders get different
// hashes. It does not recover to anyone; the sender travels beside it.
Transaction with_placeholder_signature(Transaction tx, const address& sender);

class Chain {
public:
    // Opens (or creates, from the config's genesis) the chain in `db_options.dir`; an empty dir
    // keeps it in memory for the life of the process.
    static std::expected<std::unique_ptr<Chain>, std::string> open(
        ChainConfig config, const state::Database::Options& db_options);

    const ChainConfig& config() const { return config_; }
    // The id transactions are signed for and CHAINID answers: the config's, until set_chain_id
    // (anvil_setChainId) changes it for what follows. Not persisted: a restart takes the
    // config's again, and the database keeps the id it was created with.
    uint64_t chain_id() const { return chain_id_.load(std::memory_order_relaxed); }
    void set_chain_id(uint64_t id) { chain_id_.store(id, std::memory_order_relaxed); }
    ChainReader reader() const;

    // --- Transactions.
    // Checks a signed transaction against the latest state and adds it to the pool; with
    // automine on, mines it (a block per transaction). Returns its hash once it is durable: in a
    // block, or persisted in the pool.
    std::expected<hash256, SubmitError> submit(const Transaction& tx);
    // The same for a transaction from an impersonated (or dev) account, given its sender; it is
    // signed with a placeholder signature derived from the sender, so its hash is unique.
    std::expected<hash256, SubmitError> submit_as(Transaction tx, const address& sender);
    std::optional<PooledTx> pooled(const hash256& hash) const;
    std::vector<PooledTx> pool_contents() const;
    uint64_t pending_nonce(const address& sender) const;
    // Removes pooled transactions (anvil_dropTransaction, anvil_dropAllTransactions,
    // anvil_removePoolTransactions), from the pool and its table; they return what was removed.
    // A storage failure throws state::DatabaseError (nothing is removed).
    bool drop_transaction(const hash256& hash);
    std::vector<hash256> drop_all_transactions();
    std::vector<hash256> drop_transactions_from(const address& sender);
    // The lowest fee cap the pool accepts (anvil_setMinGasPrice); only before London, where
    // there is no base fee to price against.
    std::expected<void, std::string> set_min_gas_price(const uint256& price);

    // --- Records of the bundler above (its pending user operations), durable in this chain's
    // store so that an acknowledged op survives a crash. Opaque here; errors are storage errors.
    std::expected<void, std::string> put_user_op(const hash256& hash, bytes_view record);
    std::expected<void, std::string> remove_user_ops(std::span<const hash256> hashes);
    std::vector<bytes> user_ops() const;

    // --- Mining.
    // Mines one block from the pool (it may be empty). `timestamp` overrides the next block's time.
    std::expected<uint64_t, std::string> mine(std::optional<uint64_t> timestamp = std::nullopt);
    bool automine() const;
    void set_automine(bool on);

    // --- What the next blocks are built with; they start from the config.
    address coinbase() const;
    void set_coinbase(const address& coinbase);
    uint64_t block_gas_limit() const;
    // Refused below 21000 gas, where no transaction fits.
    std::expected<void, std::string> set_block_gas_limit(uint64_t gas_limit);
    // The next block's base fee: the one set for it, or EIP-1559's from the head (0 before
    // London).
    uint256 next_block_base_fee() const;
    // Overrides the next block's base fee, once; refused before London.
    std::expected<void, std::string> set_next_block_base_fee(const uint256& base_fee);

    // --- Time (seconds). Block timestamps never wrap: a request that would carry block time
    // past the largest 64-bit timestamp is refused.
    // Adds to the offset between the wall clock and block time; returns the total offset.
    std::expected<int64_t, std::string> increase_time(uint64_t seconds);
    // The next block's timestamp; it must be after the head's.
    std::expected<void, std::string> set_next_timestamp(uint64_t timestamp);
    // Each block's time is its parent's plus `seconds` (anvil_setBlockTimestampInterval), until
    // cleared with nullopt. An explicit time (evm_mine's, evm_setNextBlockTimestamp) comes first.
    void set_block_timestamp_interval(std::optional<uint64_t> seconds);

    // --- Dev edits of the latest state (no block is mined). A storage failure throws
    // state::DatabaseError (nothing is changed).
    void set_balance(const address& addr, const uint256& balance);
    void set_nonce(const address& addr, uint64_t nonce);
    void set_code(const address& addr, bytes code);
    void set_storage(const address& addr, const uint256& key, const uint256& value);
    void impersonate(const address& addr, bool on);
    bool is_impersonated(const address& addr) const;

    // --- History edits (anvil_rollback, anvil_reorg). A storage failure is an error.
    // Removes the last `depth` blocks (0: nothing), restoring the state the first of them was
    // built on (dev edits made before it stay). Their transactions are gone with them, as anvil
    // drops them; pooled transactions stay. Snapshots taken after that state are used up.
    // Refused past the first stored block (genesis, or the fork block in fork mode).
    std::expected<void, std::string> rollback(uint64_t depth);
    // The first block this chain stores: 0, or the fork block in fork mode.
    uint64_t first_block() const { return first_block_.load(std::memory_order_relaxed); }
    // anvil_reset: a fresh chain in place of this one, as if just created: the config's genesis
    // (fork nullopt), or the fork block of `fork` over its upstream state. Blocks, state, the
    // pool, snapshots, impersonations and the dev settings of the next blocks are all gone; the
    // chain id becomes `chain_id` (the config's when nullopt). On an error (the upstream failing
    // while the dev accounts are funded, a storage failure) the chain is as it was.
    std::expected<void, std::string> reset(std::optional<ChainConfig::Fork> fork,
                                           std::optional<uint64_t> chain_id = std::nullopt);
    // Replaces the last `depth` (>= 1) blocks with `depth` new ones, block i holding
    // `blocks[i]`'s transactions in that order (`blocks` may be shorter; the others are empty).
    // Transactions that fail in their block are left out, as anvil leaves them out. The pool is
    // not mined from. Returns the new head.
    std::expected<uint64_t, std::string> reorg(uint64_t depth,
                                               std::vector<std::vector<PooledTx>> blocks);

    // --- Snapshots: the whole chain (blocks, state, time) as it is now.
    uint64_t snapshot();
    // Restores a snapshot; it and every later one are used up. False for an unknown id.
    bool revert(uint64_t id);
    // The live snapshots' ids and the head block each was taken at (anvil_metadata).
    std::map<uint64_t, uint64_t> snapshot_heads() const;

    // --- Events, called on the writer's thread after the commit; keep them short.
    void on_block(std::function<void(const BlockEvent&)> listener);
    void on_pending_transaction(std::function<void(const PooledTx&)> listener);
    // After reset() has made a fresh chain: what was kept about the old one (a bundler's pool and
    // reputation, indexes) must go with it. Called under the writer's lock: no calls back.
    void on_reset(std::function<void()> listener);
    // After blocks were taken off the head (revert, rollback, reorg before its new blocks, reset),
    // under the writer's lock: no calls back.
    void on_rewound(std::function<void(const HeadRewound&)> listener);

    // The EVM analysis cache shared by everything that runs code on this chain.
    evm::AnalysisCache& analysis_cache() { return cache_; }

private:
    Chain(ChainConfig config, std::unique_ptr<state::Database> db);
    std::expected<void, std::string> init();
    // Writes the first block (genesis, or the fork block) and its records into an empty store.
    std::expected<void, std::string> write_first_block(state::Database::Txn& txn);
    std::expected<hash256, SubmitError> add_locked(const Transaction& tx, const address& sender);
    // Mines from the pool, or exactly `chosen` when given.
    std::expected<uint64_t, std::string> mine_locked(std::optional<uint64_t> timestamp,
                                                     const std::vector<PooledTx>* chosen = nullptr);
    std::expected<void, std::string> rollback_locked(uint64_t depth);
    std::expected<uint64_t, std::string> next_timestamp_locked(const BlockHeader& parent);
    template <typename Edit>
    void edit_state_locked(Edit edit);
    uint256 next_block_base_fee_locked(const BlockHeader& head) const;
    std::vector<hash256> drop_locked(std::vector<hash256> hashes);

    ChainConfig config_;  // its `fork` changes only under `mutex_` (reset)
    std::atomic<uint64_t> chain_id_;
    std::atomic<uint64_t> first_block_{0};
    std::unique_ptr<state::Database> db_;
    state::FlatState flat_;
    ChainStore store_;
    evm::AnalysisCache cache_;

    mutable std::mutex mutex_;  // writers: pool, mining, dev controls
    TxPool pool_;
    bool automine_ = true;
    int64_t time_offset_ = 0;
    std::optional<uint64_t> next_timestamp_;
    std::optional<uint64_t> timestamp_interval_;
    address coinbase_;
    uint64_t gas_limit_ = 0;
    std::optional<uint256> next_base_fee_;
    uint256 min_gas_price_;
    std::unordered_set<address> impersonated_;
    struct Snapshot {
        uint64_t head;
        uint64_t version;
        int64_t time_offset;
        std::optional<uint64_t> next_timestamp;
    };
    std::map<uint64_t, Snapshot> snapshots_;
    uint64_t next_snapshot_id_ = 1;
    std::vector<std::function<void(const BlockEvent&)>> block_listeners_;
    std::vector<std::function<void(const PooledTx&)>> pending_listeners_;
    std::vector<std::function<void()>> reset_listeners_;
    std::vector<std::function<void(const HeadRewound&)>> rewound_listeners_;
    void notify_rewound(const HeadRewound& event) const {
        for (const auto& listener : rewound_listeners_)
            listener(event);
    }
};

}  // namespace krnl::chain
