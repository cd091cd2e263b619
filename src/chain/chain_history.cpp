// A chain's history edited by the dev methods: snapshots and their reverts, rollback, reorg, and
// reset (a fresh chain, or a fork of another upstream, in place of this one).
#include "chain/chain.hpp"
#include "chain/chain_internal.hpp"

namespace krnl::chain {

using detail::all_tables;
using detail::TrieGuard;
using state::Database;

uint64_t Chain::snapshot() {
    std::lock_guard lock(mutex_);
    auto r = reader();
    const uint64_t id = next_snapshot_id_++;
    snapshots_[id] = {r.head(), store_.version(r.txn()), time_offset_, next_timestamp_};
    return id;
}

bool Chain::revert(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto it = snapshots_.find(id);
    if (it == snapshots_.end()) return false;
    const Snapshot snap = it->second;
    auto txn = db_->write();
    const uint64_t old_head = store_.head(txn).value_or(0);
    flat_.revert_to(txn, snap.version, store_.version(txn));
    store_.truncate(txn, snap.head);
    store_.set_version(txn, snap.version);
    txn.commit();
    time_offset_ = snap.time_offset;
    next_timestamp_ = snap.next_timestamp;
    snapshots_.erase(it, snapshots_.end());
    notify_rewound({.first_removed = snap.head + 1, .old_head = old_head});
    // Pooled transactions the reverted blocks had mined are gone with them; those left behind
    // wait for their nonces again.
    return true;
}

std::expected<void, std::string> Chain::rollback_locked(uint64_t depth) {
    // The chain as it was, for the listeners that announce the removed blocks' logs (a read
    // transaction keeps seeing it after the commit).
    const ChainReader before = reader();
    auto txn = db_->write();
    const uint64_t head = store_.head(txn).value_or(0);
    if (depth > head - std::min(head, first_block()))
        return std::unexpected(
            "rollback depth must not exceed the current chain height: height " +
            std::to_string(head) + ", depth " + std::to_string(depth) +
            (first_block() != 0 ? ", fork block " + std::to_string(first_block()) : std::string()));
    if (depth == 0) return {};
    const uint64_t target = head - depth;
    // The state the first removed block was built on: every commit is a version of its own.
    const std::optional<uint64_t> first_removed = store_.version_of(txn, target + 1);
    if (!first_removed || *first_removed == 0 || *first_removed > store_.version(txn))
        throw db_->corrupted("block " + std::to_string(target + 1) + " has no valid state version");
    const uint64_t version = *first_removed - 1;
    flat_.revert_to(txn, version, store_.version(txn));
    store_.truncate(txn, target);
    store_.set_version(txn, version);
    txn.commit();
    std::erase_if(snapshots_, [&](const auto& entry) { return entry.second.version > version; });
    next_base_fee_.reset();
    notify_rewound({.first_removed = target + 1, .old_head = head, .before = &before});
    return {};
}

std::expected<void, std::string> Chain::rollback(uint64_t depth) {
    std::lock_guard lock(mutex_);
    try {
        return rollback_locked(depth);
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string(e.what()));
    }
}

std::expected<void, std::string> Chain::reset(std::optional<ChainConfig::Fork> fork,
                                              std::optional<uint64_t> chain_id) {
    std::lock_guard lock(mutex_);
    std::optional<ChainConfig::Fork> previous = config_.fork;
    auto restore = [&] {
        config_.fork = previous;
        flat_.set_remote(previous ? previous->remote : nullptr);
    };
    uint64_t old_head = 0;
    try {
        auto txn = db_->write();
        old_head = store_.head(txn).value_or(0);
        TrieGuard guard(flat_);
        // Emptied in the same transaction that writes the new first block: readers see the old
        // chain or the new one, never none.
        for (std::string_view name : all_tables()) {
            state::Cursor cursor(txn, db_->table(name));
            while (cursor.first())
                cursor.del();
        }
        flat_.invalidate_tries();
        config_.fork = std::move(fork);
        flat_.set_remote(config_.fork ? config_.fork->remote : nullptr);
        if (auto r = write_first_block(txn); !r) {
            restore();
            return r;
        }
        txn.commit();
        guard.committed();
    } catch (const state::DatabaseError& e) {
        restore();
        return std::unexpected(std::string(e.what()));
    }
    first_block_.store(config_.fork ? config_.fork->header.number : 0, std::memory_order_relaxed);
    chain_id_.store(chain_id.value_or(config_.chain_id), std::memory_order_relaxed);
    pool_.clear();
    snapshots_.clear();
    impersonated_.clear();
    time_offset_ = 0;
    next_timestamp_.reset();
    timestamp_interval_.reset();
    coinbase_ = config_.coinbase;
    gas_limit_ = config_.gas_limit;
    next_base_fee_.reset();
    min_gas_price_ = 0;
    for (const auto& listener : reset_listeners_)
        listener();
    notify_rewound({.first_removed = first_block() + 1, .old_head = old_head});
    return {};
}

std::expected<uint64_t, std::string> Chain::reorg(uint64_t depth,
                                                  std::vector<std::vector<PooledTx>> blocks) {
    if (depth == 0) return std::unexpected("reorg depth must be at least 1");
    if (blocks.size() > depth)
        return std::unexpected("a reorg of depth " + std::to_string(depth) + " has no block " +
                               std::to_string(blocks.size() - 1));
    blocks.resize(depth);
    std::lock_guard lock(mutex_);
    try {
        if (auto r = rollback_locked(depth); !r) return std::unexpected(r.error());
        uint64_t head = 0;
        for (const std::vector<PooledTx>& txs : blocks) {
            auto mined = mine_locked(std::nullopt, &txs);
            if (!mined) return std::unexpected(mined.error());
            head = *mined;
        }
        return head;
    } catch (const state::DatabaseError& e) {
        return std::unexpected(std::string(e.what()));
    }
}

std::map<uint64_t, uint64_t> Chain::snapshot_heads() const {
    std::lock_guard lock(mutex_);
    std::map<uint64_t, uint64_t> heads;
    for (const auto& [id, snap] : snapshots_)
        heads.emplace(id, snap.head);
    return heads;
}

}  // namespace krnl::chain
