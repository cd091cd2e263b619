#include "chain/chain.hpp"

#include <algorithm>
#include <limits>

#include "chain/chain_internal.hpp"
#include "common/rlp.hpp"

namespace krnl::chain {
namespace {

using detail::all_tables;
using detail::TrieGuard;
using state::Database;
using state::FlatState;
using state::State;
using state::StateView;

uint64_t wall_clock_seconds() {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
}

// The pool table keeps the sender beside the envelope: impersonated transactions carry no
// signature to recover it from.
bytes pool_record(const address& sender, const Transaction& tx) {
    bytes record(sender.view());
    record += encode_transaction(tx);
    return record;
}

std::string insufficient_funds_message(const uint256& balance, const uint256& cost) {
    return "insufficient funds for gas * price + value: balance " + to_string(balance) +
           ", tx cost " + to_string(cost) + ", overshot " + to_string(cost - balance);
}

// Errors a transaction will never recover from: it leaves the pool when a block meets them.
bool is_permanent(TxError e) {
    return e != TxError::NonceTooHigh && e != TxError::InsufficientFunds &&
           e != TxError::FeeCapBelowBaseFee && e != TxError::GasLimitExceedsBlock &&
           e != TxError::BlobFeeCapTooLow;
}

// The hash of block `n`: stored, or in fork mode the upstream's below the fork block.
hash256 block_hash_at(const ChainStore& store, const Database::Txn& txn, const FlatState& flat,
                      int64_t n) {
    if (n < 0) return {};
    if (auto h = store.hash(txn, static_cast<uint64_t>(n))) return *h;
    const state::RemoteSource* remote = flat.remote();
    if (remote != nullptr && static_cast<uint64_t>(n) < remote->fork_block())
        return remote->block_hash(static_cast<uint64_t>(n)).value_or(hash256{});
    return {};
}

}  // namespace

Transaction with_placeholder_signature(Transaction tx, const address& sender) {
    uint8_t r_bytes[32] = {};
    std::copy_n(sender.data(), 20, r_bytes + 12);
    tx.r = uint256::load_be(r_bytes);
    tx.s = 1;
    tx.y_parity = 0;
    if (tx.type == TxType::Legacy) tx.v = tx.chain_id ? *tx.chain_id * 2 + 35 : 27;
    return tx;
}

ChainReader::ChainReader(Database::Txn txn, const ChainStore& store, const FlatState& flat)
    : txn_(std::move(txn)), store_(store), flat_(flat), head_(store.head(txn_).value_or(0)) {}

std::unique_ptr<StateView> ChainReader::state_before(uint64_t number) const {
    // Every commit (a block or a dev edit) is a state version of its own, and a block commits
    // the version after the latest: the one before it is exactly what it was built on.
    const std::optional<uint64_t> version = store_.version_of(txn_, number);
    if (number == 0 || !version || *version == 0) return state_at(number == 0 ? 0 : number - 1);
    return std::make_unique<StateView>(flat_, txn_, *version - 1);
}

std::unique_ptr<StateView> ChainReader::state_at(uint64_t number) const {
    // The head's state includes the dev edits made since it was mined.
    const std::optional<uint64_t> version = store_.version_of(txn_, number);
    if (number >= head_ || !version || *version >= store_.version(txn_))
        return std::make_unique<StateView>(flat_, txn_);
    return std::make_unique<StateView>(flat_, txn_, *version);
}

BlockHashFn ChainReader::block_hashes() const {
    return [this](int64_t number) { return block_hash_at(store_, txn_, flat_, number); };
}

Chain::Chain(ChainConfig config, std::unique_ptr<Database> db)
    : config_(std::move(config)),
      chain_id_(config_.chain_id),
      db_(std::move(db)),
      flat_(*db_),
      store_(*db_),
      pool_(config_.pool),
      coinbase_(config_.coinbase),
      gas_limit_(config_.gas_limit) {
    if (config_.fork) {
        flat_.set_remote(config_.fork->remote);
        first_block_.store(config_.fork->header.number, std::memory_order_relaxed);
    }
}

namespace {
// The meta table's records of a chain, checked when its data dir is opened again.
constexpr std::string_view kChainIdKey = "chain_id";
constexpr std::string_view kHardforkKey = "hardfork";
bytes_view text_bytes(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}
}  // namespace

std::expected<std::unique_ptr<Chain>, std::string> Chain::open(
    ChainConfig config, const Database::Options& db_options) {
    const auto tables = all_tables();
    auto db = Database::open(db_options, tables);
    if (!db) return std::unexpected(db.error());
    std::unique_ptr<Chain> chain(new Chain(std::move(config), std::move(*db)));
    try {
        if (auto r = chain->init(); !r) return std::unexpected(r.error());
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string(e.what()));
    }
    return chain;
}

std::expected<void, std::string> Chain::init() {
    const bytes_view chain_id_key = text_bytes(kChainIdKey);
    const bytes_view hardfork_key = text_bytes(kHardforkKey);
    const std::string_view fork_name = evm::revision_name(config_.revision);
    const bytes_view fork_record = text_bytes(fork_name);
    const state::Table meta = db_->table("meta");
    auto txn = db_->write();
    if (const std::optional<uint64_t> head = store_.head(txn)) {
        // What every chain this node wrote has: its id, the head's header and state version.
        auto stored = txn.get(meta, chain_id_key);
        if (!stored || stored->size() != 8)
            throw db_->corrupted("it has blocks but no chain id record");
        if (state::load_be64(*stored) != config_.chain_id)
            return std::unexpected(db_->file() + " holds another chain (chain id " +
                                   std::to_string(state::load_be64(*stored)) + "), not chain " +
                                   std::to_string(config_.chain_id));
        // (anvil_reset may have made a chain of its own a fork, or ended a fork, on disk.)
        if (!config_.fork && !store_.hash(txn, 0))
            return std::unexpected(
                db_->file() +
                " holds a fork of another node (it has no genesis block): "
                "start it with the fork it was last reset to, or a new data dir");
        if (config_.fork &&
            store_.number_of(txn, config_.fork->hash) != config_.fork->header.number)
            return std::unexpected(db_->file() + " holds another chain than a fork at block " +
                                   std::to_string(config_.fork->header.number) +
                                   ": give the fork block it was created at, or a new data dir");
        // Every stored block was executed at one hardfork; replaying or extending them at another
        // would give other states and traces. A directory written before the record existed gets
        // the configured one.
        if (auto stored_fork = txn.get(meta, hardfork_key)) {
            const std::string stored_name(stored_fork->begin(), stored_fork->end());
            if (stored_name != fork_name)
                return std::unexpected(db_->file() + " holds chain " +
                                       std::to_string(config_.chain_id) + " run at " + stored_name +
                                       ", not " + std::string(fork_name) +
                                       ": start it with that hardfork, or use a new data dir");
        } else {
            txn.put(meta, hardfork_key, fork_record);
        }
        if (!store_.header(txn, *head))
            throw db_->corrupted("the head block " + std::to_string(*head) + " has no header");
        const std::optional<uint64_t> head_version = store_.version_of(txn, *head);
        if (!head_version || *head_version > store_.version(txn))
            throw db_->corrupted("the head block " + std::to_string(*head) +
                                 " has no valid state version");
        // Acknowledged transactions that had not reached a block come back to the pool.
        StateView view(flat_, txn);
        std::vector<hash256> stale;
        store_.for_each_pool_transaction(txn, [&](bytes_view record) {
            if (record.size() <= 20) return;
            const address sender = address::from_view(record.substr(0, 20));
            auto tx = decode_transaction(record.substr(20));
            if (!tx) return;
            const auto account = view.read_account(sender);
            const uint64_t nonce = account ? account->nonce : 0;
            const hash256 hash = transaction_hash(*tx);
            if (tx->nonce < nonce || !pool_.add({*tx, sender, hash}, nonce)) stale.push_back(hash);
        });
        for (const hash256& h : stale)
            store_.remove_pool_transaction(txn, h);
        txn.commit();
        return {};
    }

    // No head: a new database, unless a table holds something (a head record lost to damage).
    for (std::string_view name : all_tables())
        if (db_->entries(txn, db_->table(name)) != 0)
            throw db_->corrupted("it holds data (table " + std::string(name) +
                                 ") but no head block");
    TrieGuard guard(flat_);
    if (auto r = write_first_block(txn); !r) return r;
    txn.commit();
    guard.committed();
    return {};
}

std::expected<void, std::string> Chain::write_first_block(Database::Txn& txn) {
    const state::Table meta = db_->table("meta");
    // A new chain's first block is stored with its chain id and hardfork records, in one commit.
    auto put_records = [&] {
        bytes id;
        state::append_be64(id, config_.chain_id);
        txn.put(meta, text_bytes(kChainIdKey), id);
        txn.put(meta, text_bytes(kHardforkKey), text_bytes(evm::revision_name(config_.revision)));
    };
    if (config_.fork) {
        // Over the upstream's state: the alloc funds the dev accounts (nonce and code stay the
        // upstream's), and the first block is the upstream's fork block. Only the system
        // contracts the upstream lacks are installed (a dev node upstream, such as anvil, may
        // have none): blocks past Prague cannot be finished without them.
        std::vector<address> read = {kBeaconRootsAddress, kHistoryStorageAddress,
                                     kWithdrawalRequestAddress, kConsolidationRequestAddress};
        for (const auto& [addr, genesis] : config_.alloc)
            read.push_back(addr);
        config_.fork->remote->prefetch(read);
        StateView view(flat_, txn);
        State st(view);
        for (const auto& [addr, genesis] : config_.alloc)
            st.get_or_create(addr).balance = genesis.balance;
        install_system_contracts(st, config_.revision);
        flat_.commit(txn, 0, st.changes());
        Block first;
        first.header = config_.fork->header;
        if (first.header.withdrawals_root) first.withdrawals.emplace();
        store_.put_block(txn, first, config_.fork->hash, {}, {}, 0);
        put_records();
        return {};
    }
    const evm::Revision rev = config_.revision;
    StateView view(flat_, txn);
    State st(view);
    for (const auto& [addr, genesis] : config_.alloc) {
        state::Account acc;
        acc.balance = genesis.balance;
        acc.nonce = genesis.nonce;
        if (!genesis.code.empty()) acc.set_code(genesis.code);
        for (const auto& [key, value] : genesis.storage)
            if (!!value) acc.storage[key] = {value, value};
        st.put(addr, std::move(acc));
    }
    install_system_contracts(st, rev);
    const uint64_t genesis_time =
        config_.genesis_timestamp != 0 ? config_.genesis_timestamp : wall_clock_seconds();
    if (auto installed = install_predeploys(st, rev, config_.chain_id, genesis_time,
                                            config_.gas_limit, config_.predeploys, cache_);
        !installed)
        return std::unexpected(installed.error());
    const hash256 root = flat_.commit(txn, 0, st.changes());

    Block genesis;
    BlockHeader& h = genesis.header;
    h.ommers_hash = kEmptyOmmersHash;
    h.state_root = root;
    h.transactions_root = kEmptyTrieRoot;
    h.receipts_root = kEmptyTrieRoot;
    h.gas_limit = config_.gas_limit;
    h.timestamp = genesis_time;
    if (rev >= evm::Revision::London) h.base_fee_per_gas = config_.initial_base_fee;
    if (rev >= evm::Revision::Shanghai) {
        h.withdrawals_root = kEmptyTrieRoot;
        genesis.withdrawals.emplace();
    }
    if (rev >= evm::Revision::Cancun) {
        h.blob_gas_used = 0;
        h.excess_blob_gas = 0;
        h.parent_beacon_block_root = hash256{};
    }
    if (rev >= evm::Revision::Prague) h.requests_hash = requests_hash({});
    store_.put_block(txn, genesis, block_hash(h), {}, {}, 0);
    put_records();
    return {};
}

ChainReader Chain::reader() const {
    return ChainReader(db_->read(), store_, flat_);
}

std::expected<hash256, SubmitError> Chain::submit(const Transaction& tx) {
    if (tx.type == TxType::Blob)
        return std::unexpected(SubmitError{
            SubmitError::Kind::Unsupported,
            "blob transactions are not supported: this chain has no blob sidecars (EIP-4844)"});
    const uint64_t chain_id = this->chain_id();
    auto sender = check_transaction(tx, config_.revision, chain_id);
    if (!sender) {
        std::string message(tx_error_message(sender.error()));
        // geth reports signer errors as an invalid sender.
        if (sender.error() == TxError::WrongChainId)
            message = "invalid sender: " + message + ": have " +
                      (tx.chain_id ? std::to_string(*tx.chain_id) : std::string("none")) +
                      " want " + std::to_string(chain_id);
        else if (sender.error() == TxError::InvalidSignature)
            message = "invalid sender: " + message;
        if (sender.error() == TxError::IntrinsicGasTooLow)
            message += ": gas " + std::to_string(tx.gas_limit) + ", minimum needed " +
                       std::to_string(std::max(intrinsic_gas(tx, config_.revision),
                                               calldata_floor_gas(tx, config_.revision)));
        return std::unexpected(SubmitError{SubmitError::Kind::Invalid, std::move(message)});
    }
    std::lock_guard lock(mutex_);
    return add_locked(tx, *sender);
}

std::expected<hash256, SubmitError> Chain::submit_as(Transaction tx, const address& sender) {
    if (tx.type == TxType::Blob)
        return std::unexpected(SubmitError{
            SubmitError::Kind::Unsupported,
            "blob transactions are not supported: this chain has no blob sidecars (EIP-4844)"});
    tx = with_placeholder_signature(std::move(tx), sender);
    if (auto error = validate_transaction(tx, config_.revision, chain_id()))
        return std::unexpected(
            SubmitError{SubmitError::Kind::Invalid, std::string(tx_error_message(*error))});
    std::lock_guard lock(mutex_);
    return add_locked(tx, sender);
}

std::expected<hash256, SubmitError> Chain::add_locked(const Transaction& tx,
                                                      const address& sender) {
    auto invalid = [](std::string message) {
        return std::unexpected(SubmitError{SubmitError::Kind::Invalid, std::move(message)});
    };
    const hash256 hash = transaction_hash(tx);
    uint64_t nonce = 0;
    uint256 base_fee;
    {
        auto r = reader();
        const auto head = r.header(r.head());
        base_fee = head ? next_block_base_fee_locked(*head) : uint256{};
        const auto account = StateView(flat_, r.txn()).read_account(sender);
        nonce = account ? account->nonce : 0;
        const uint256 balance = account ? account->balance : uint256{};
        if (account && account->code_hash != kEmptyKeccak) {
            const bytes code = StateView(flat_, r.txn()).read_code(account->code_hash);
            if (!(config_.revision >= evm::Revision::Prague && delegation_target(code)))
                return invalid("sender not an eoa: address " + to_hex(sender) + ", codehash " +
                               to_hex(account->code_hash));
        }
        if (tx.nonce < nonce)
            return invalid("nonce too low: next nonce " + std::to_string(nonce) + ", tx nonce " +
                           std::to_string(tx.nonce));
        if (tx.gas_limit > gas_limit_) return invalid("exceeds block gas limit");
        if (tx.max_fee_per_gas < min_gas_price_)
            return invalid("transaction underpriced: gas price " + to_string(tx.max_fee_per_gas) +
                           ", minimum " + to_string(min_gas_price_));
        const auto gas_cost = checked_mul(tx.max_fee_per_gas, tx.gas_limit);
        const auto cost = gas_cost ? checked_add(*gas_cost, tx.value) : std::nullopt;
        if (!cost || balance < *cost)
            return invalid(insufficient_funds_message(balance, cost.value_or(~uint256{})));
        if (automine_ && tx.max_fee_per_gas < base_fee)
            return invalid("max fee per gas less than block base fee: address " + to_hex(sender) +
                           ", maxFeePerGas: " + to_string(tx.max_fee_per_gas) +
                           ", baseFee: " + to_string(base_fee));
    }

    auto added = pool_.add({tx, sender, hash}, nonce);
    if (!added)
        return std::unexpected(
            SubmitError{SubmitError::Kind::Pool, std::string(pool_error_message(added.error()))});
    const bool executable = pool_.pending_nonce(sender, nonce) > tx.nonce;
    for (const auto& listener : pending_listeners_)
        listener(*pool_.find(hash));

    // Acknowledged only once durable: if the database fails, the transaction leaves the pool
    // again and the caller is told.
    try {
        if (automine_ && executable) {
            auto mined = mine_locked(std::nullopt);
            if (!mined) {
                pool_.remove(hash);
                return std::unexpected(SubmitError{SubmitError::Kind::Invalid, mined.error()});
            }
            if (!pool_.find(hash)) return hash;  // in the block
        }
        auto txn = db_->write();
        if (*added) store_.remove_pool_transaction(txn, **added);
        store_.put_pool_transaction(txn, hash, pool_record(sender, tx));
        txn.commit();
    } catch (const state::DatabaseError& e) {
        pool_.remove(hash);
        return std::unexpected(SubmitError{SubmitError::Kind::Storage, e.what()});
    }
    return hash;
}

std::optional<PooledTx> Chain::pooled(const hash256& hash) const {
    std::lock_guard lock(mutex_);
    const PooledTx* p = pool_.find(hash);
    return p ? std::optional<PooledTx>(*p) : std::nullopt;
}

std::vector<PooledTx> Chain::pool_contents() const {
    std::lock_guard lock(mutex_);
    std::vector<PooledTx> out;
    for (const PooledTx* p : pool_.all())
        out.push_back(*p);
    return out;
}

uint64_t Chain::pending_nonce(const address& sender) const {
    // The state and the pool as of one moment: a block commits and leaves the pool under the
    // lock, so a state read before it with a pool read after it would count its transactions
    // in neither (and answer a nonce already used).
    std::lock_guard lock(mutex_);
    auto r = reader();
    const auto account = StateView(flat_, r.txn()).read_account(sender);
    return pool_.pending_nonce(sender, account ? account->nonce : 0);
}

std::expected<uint64_t, std::string> Chain::mine(std::optional<uint64_t> timestamp) {
    std::lock_guard lock(mutex_);
    try {
        return mine_locked(timestamp);
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string(e.what()));
    }
}

std::expected<uint64_t, std::string> Chain::next_timestamp_locked(const BlockHeader& parent) {
    if (parent.timestamp == std::numeric_limits<uint64_t>::max())
        return std::unexpected(
            "the latest block's timestamp is " + std::to_string(parent.timestamp) +
            ", the largest a block can carry: no later block can be mined (revert to a snapshot)");
    // evm_setNextBlockTimestamp, unless a block with an explicit later time came first.
    if (auto next = std::exchange(next_timestamp_, std::nullopt); next && *next > parent.timestamp)
        return *next;
    if (timestamp_interval_) {
        if (*timestamp_interval_ > std::numeric_limits<uint64_t>::max() - parent.timestamp)
            return std::unexpected("the block timestamp interval of " +
                                   std::to_string(*timestamp_interval_) +
                                   " s carries block time past the largest timestamp");
        return parent.timestamp + std::max<uint64_t>(*timestamp_interval_, 1);
    }
    // In 128 bits: the offset may be as large as int64 allows, on top of the clock.
    const __int128 now = static_cast<__int128>(wall_clock_seconds()) + time_offset_;
    const __int128 clamped = std::clamp<__int128>(now, 0, std::numeric_limits<uint64_t>::max());
    return std::max(static_cast<uint64_t>(clamped), parent.timestamp + 1);
}

std::expected<uint64_t, std::string> Chain::mine_locked(std::optional<uint64_t> timestamp,
                                                        const std::vector<PooledTx>* chosen) {
    TrieGuard guard(flat_);
    auto txn = db_->write();
    const uint64_t head = store_.head(txn).value_or(0);
    const std::optional<BlockHeader> head_header = store_.header(txn, head);
    if (!head_header)
        throw db_->corrupted("the head block " + std::to_string(head) + " has no header");
    const BlockHeader& parent = *head_header;
    if (timestamp && *timestamp <= parent.timestamp)
        return std::unexpected("timestamp " + std::to_string(*timestamp) +
                               " is not after the latest block's (" +
                               std::to_string(parent.timestamp) + ")");
    const bool explicit_time =
        timestamp.has_value() || next_timestamp_.has_value() || timestamp_interval_.has_value();

    uint64_t block_time = 0;
    if (timestamp) {
        block_time = *timestamp;
    } else {
        auto next = next_timestamp_locked(parent);
        if (!next) return std::unexpected(next.error());
        block_time = *next;
    }

    StateView view(flat_, txn);
    State st(view);
    BlockAttributes attributes;
    attributes.timestamp = block_time;
    attributes.coinbase = coinbase_;
    attributes.gas_limit = gas_limit_;
    attributes.base_fee = next_base_fee_;
    attributes.prev_randao = keccak256(block_hash(parent).view());
    BlockHashFn hashes = [&](int64_t n) { return block_hash_at(store_, txn, flat_, n); };
    BlockBuilder builder(st, config_.revision, parent, attributes, chain_id(), hashes, cache_,
                         ChainRules{.deposit_contract = config_.deposit_contract});
    const uint256 base_fee = builder.header().base_fee_per_gas.value_or(uint256{});

    std::vector<hash256> dropped;
    auto nonce_of = [&](const address& a) {
        const state::Account* acc = st.find(a);
        return acc != nullptr ? acc->nonce : uint64_t{0};
    };
    if (chosen != nullptr) {
        for (const PooledTx& p : *chosen)
            (void)builder.add_transaction(p.tx, p.sender);  // one that fails is left out
    } else {
        for (const PooledTx* p : pool_.executable(nonce_of, base_fee)) {
            if (builder.gas_remaining() < 21000) break;
            auto receipt = builder.add_transaction(p->tx, p->sender);
            if (!receipt && is_permanent(receipt.error())) dropped.push_back(p->hash);
        }
    }
    if (auto finished = builder.finish(); !finished)
        return std::unexpected("cannot finish the block: " + finished.error().message);

    const uint64_t version = store_.version(txn) + 1;
    const hash256 root = flat_.commit(txn, version, st.changes());
    auto sealed = builder.seal(root);
    if (!sealed) return std::unexpected("cannot seal the block: " + sealed.error().message);
    BlockEvent event;
    event.block = std::move(sealed->block);
    event.hash = block_hash(event.block.header);
    event.senders = std::move(sealed->senders);
    for (size_t i = 0; i < sealed->receipts.size(); ++i)
        event.receipts.push_back(to_stored(sealed->receipts[i], event.block.transactions[i]));
    store_.put_block(txn, event.block, event.hash, event.senders, event.receipts, version);
    for (const hash256& h : dropped)
        store_.remove_pool_transaction(txn, h);
    txn.commit();
    guard.committed();

    next_base_fee_.reset();
    for (const hash256& h : dropped)
        pool_.remove(h);
    for (size_t i = 0; i < event.senders.size(); ++i)
        pool_.remove_below(event.senders[i], event.block.transactions[i].nonce + 1);
    // Block time runs on from this block: after an explicit time, and when blocks mined faster
    // than one a second pushed it ahead of the clock (so evm_increaseTime adds to what is seen).
    const auto behind = static_cast<int64_t>(std::clamp<__int128>(
        static_cast<__int128>(event.block.header.timestamp) - wall_clock_seconds(),
        std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()));
    if (explicit_time || behind > time_offset_) time_offset_ = behind;
    for (const auto& listener : block_listeners_)
        listener(event);
    return event.block.header.number;
}

bool Chain::automine() const {
    std::lock_guard lock(mutex_);
    return automine_;
}

void Chain::set_automine(bool on) {
    std::lock_guard lock(mutex_);
    automine_ = on;
}

address Chain::coinbase() const {
    std::lock_guard lock(mutex_);
    return coinbase_;
}

void Chain::set_coinbase(const address& coinbase) {
    std::lock_guard lock(mutex_);
    coinbase_ = coinbase;
}

uint64_t Chain::block_gas_limit() const {
    std::lock_guard lock(mutex_);
    return gas_limit_;
}

std::expected<void, std::string> Chain::set_block_gas_limit(uint64_t gas_limit) {
    if (gas_limit < 21000)
        return std::unexpected("block gas limit " + std::to_string(gas_limit) +
                               " is below 21000, the gas of the smallest transaction");
    std::lock_guard lock(mutex_);
    gas_limit_ = gas_limit;
    return {};
}

uint256 Chain::next_block_base_fee_locked(const BlockHeader& head) const {
    if (config_.revision < evm::Revision::London) return {};
    if (next_base_fee_) return *next_base_fee_;
    return head.base_fee_per_gas ? next_base_fee(head) : uint256{};
}

uint256 Chain::next_block_base_fee() const {
    std::lock_guard lock(mutex_);
    auto r = reader();
    return next_block_base_fee_locked(*r.header(r.head()));
}

std::expected<void, std::string> Chain::set_next_block_base_fee(const uint256& base_fee) {
    if (config_.revision < evm::Revision::London)
        return std::unexpected("this chain has no base fee: it runs before London (EIP-1559)");
    std::lock_guard lock(mutex_);
    next_base_fee_ = base_fee;
    return {};
}

std::expected<void, std::string> Chain::set_min_gas_price(const uint256& price) {
    // anvil's refusal: with EIP-1559 the base fee prices transactions.
    if (config_.revision >= evm::Revision::London)
        return std::unexpected("anvil_setMinGasPrice is not supported when EIP-1559 is active");
    std::lock_guard lock(mutex_);
    min_gas_price_ = price;
    return {};
}

std::vector<hash256> Chain::drop_locked(std::vector<hash256> hashes) {
    if (hashes.empty()) return hashes;
    auto txn = db_->write();
    for (const hash256& h : hashes)
        store_.remove_pool_transaction(txn, h);
    txn.commit();
    for (const hash256& h : hashes)
        pool_.remove(h);
    return hashes;
}

bool Chain::drop_transaction(const hash256& hash) {
    std::lock_guard lock(mutex_);
    if (!pool_.find(hash)) return false;
    return !drop_locked({hash}).empty();
}

std::vector<hash256> Chain::drop_all_transactions() {
    std::lock_guard lock(mutex_);
    std::vector<hash256> hashes;
    for (const PooledTx* p : pool_.all())
        hashes.push_back(p->hash);
    return drop_locked(std::move(hashes));
}

std::vector<hash256> Chain::drop_transactions_from(const address& sender) {
    std::lock_guard lock(mutex_);
    std::vector<hash256> hashes;
    for (const PooledTx* p : pool_.all())
        if (p->sender == sender) hashes.push_back(p->hash);
    return drop_locked(std::move(hashes));
}

void Chain::set_block_timestamp_interval(std::optional<uint64_t> seconds) {
    std::lock_guard lock(mutex_);
    timestamp_interval_ = seconds;
}

std::expected<int64_t, std::string> Chain::increase_time(uint64_t seconds) {
    std::lock_guard lock(mutex_);
    // The offset is signed 64-bit: past it, block time (clock + offset) could wrap or pass the
    // largest timestamp.
    const __int128 total = static_cast<__int128>(time_offset_) + seconds;
    if (total > std::numeric_limits<int64_t>::max())
        return std::unexpected("cannot move time forward by " + std::to_string(seconds) +
                               " s: the offset from the clock would be past " +
                               std::to_string(std::numeric_limits<int64_t>::max()) + " s (it is " +
                               std::to_string(time_offset_) + " s now)");
    time_offset_ = static_cast<int64_t>(total);
    return time_offset_;
}

std::expected<void, std::string> Chain::set_next_timestamp(uint64_t timestamp) {
    std::lock_guard lock(mutex_);
    auto r = reader();
    const uint64_t latest = r.header(r.head())->timestamp;
    if (timestamp <= latest)
        return std::unexpected("timestamp " + std::to_string(timestamp) +
                               " is lower than or equal to the latest block's timestamp " +
                               std::to_string(latest));
    next_timestamp_ = timestamp;
    return {};
}

template <typename Edit>
void Chain::edit_state_locked(Edit edit) {
    TrieGuard guard(flat_);
    auto txn = db_->write();
    StateView view(flat_, txn);
    State st(view);
    edit(st);
    st.finalize_transaction(false);
    const uint64_t version = store_.version(txn) + 1;
    flat_.commit(txn, version, st.changes());
    store_.set_version(txn, version);
    txn.commit();
    guard.committed();
}

void Chain::set_balance(const address& addr, const uint256& balance) {
    std::lock_guard lock(mutex_);
    edit_state_locked([&](State& st) { st.get_or_create(addr).balance = balance; });
}

void Chain::set_nonce(const address& addr, uint64_t nonce) {
    std::lock_guard lock(mutex_);
    edit_state_locked([&](State& st) { st.get_or_create(addr).nonce = nonce; });
    pool_.remove_below(addr, nonce);
}

void Chain::set_code(const address& addr, bytes code) {
    std::lock_guard lock(mutex_);
    edit_state_locked([&](State& st) { st.set_code(addr, std::move(code)); });
}

void Chain::set_storage(const address& addr, const uint256& key, const uint256& value) {
    std::lock_guard lock(mutex_);
    edit_state_locked([&](State& st) { st.set_storage(addr, key, value); });
}

void Chain::impersonate(const address& addr, bool on) {
    std::lock_guard lock(mutex_);
    if (on)
        impersonated_.insert(addr);
    else
        impersonated_.erase(addr);
}

bool Chain::is_impersonated(const address& addr) const {
    std::lock_guard lock(mutex_);
    return impersonated_.contains(addr);
}

void Chain::on_block(std::function<void(const BlockEvent&)> listener) {
    std::lock_guard lock(mutex_);
    block_listeners_.push_back(std::move(listener));
}

void Chain::on_reset(std::function<void()> listener) {
    std::lock_guard lock(mutex_);
    reset_listeners_.push_back(std::move(listener));
}

void Chain::on_rewound(std::function<void(const HeadRewound&)> listener) {
    std::lock_guard lock(mutex_);
    rewound_listeners_.push_back(std::move(listener));
}

void Chain::on_pending_transaction(std::function<void(const PooledTx&)> listener) {
    std::lock_guard lock(mutex_);
    pending_listeners_.push_back(std::move(listener));
}

std::expected<void, std::string> Chain::put_user_op(const hash256& hash, bytes_view record) {
    std::lock_guard lock(mutex_);
    try {
        auto txn = db_->write();
        store_.put_user_op(txn, hash, record);
        txn.commit();
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string(e.what()));
    }
    return {};
}

std::expected<void, std::string> Chain::remove_user_ops(std::span<const hash256> hashes) {
    if (hashes.empty()) return {};
    std::lock_guard lock(mutex_);
    try {
        auto txn = db_->write();
        for (const hash256& h : hashes)
            store_.remove_user_op(txn, h);
        txn.commit();
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string(e.what()));
    }
    return {};
}

std::vector<bytes> Chain::user_ops() const {
    std::vector<bytes> out;
    auto txn = db_->read();
    store_.for_each_user_op(txn, [&](bytes_view record) { out.emplace_back(record); });
    return out;
}

}  // namespace krnl::chain
