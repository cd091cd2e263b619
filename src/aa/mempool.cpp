// The mempool's storage and indexes, lookups, removals (with their reputation bookkeeping) and
// the ops a block's changes touch. Admission is in mempool_admission.cpp, bundle choice in
// mempool_bundle.cpp.
#include "aa/mempool.hpp"

#include <algorithm>

#include "aa/mempool_fees.hpp"

namespace krnl::aa {
namespace {

// The distinct addresses an op names, in role order (sender first).
std::vector<address> named_addresses(const OpEntities& entities) {
    std::vector<address> out;
    for (const auto& [role, entity] : entities.all())
        if (std::find(out.begin(), out.end(), entity.addr) == out.end()) out.push_back(entity.addr);
    return out;
}

}  // namespace

bool in_time_range(const PooledUserOp& entry, uint64_t timestamp) {
    if (entry.valid_until != 0 && timestamp > entry.valid_until) return false;
    // v0.8's EntryPoint made validAfter exclusive.
    if (entry.version == EntryPointVersion::V07) return timestamp >= entry.valid_after;
    return timestamp > entry.valid_after;
}

const PooledUserOp* Mempool::find(const hash256& hash) const {
    const auto it = by_hash_.find(hash);
    return it == by_hash_.end() ? nullptr : &by_arrival_.at(it->second);
}

const PooledUserOp* Mempool::find(const address& entry_point, const address& sender,
                                  const uint256& nonce) const {
    const auto it = by_nonce_.find({entry_point, sender, nonce});
    return it == by_nonce_.end() ? nullptr : &by_arrival_.at(it->second);
}

void Mempool::insert(PooledUserOp entry) {
    const uint64_t arrival = entry.arrival;
    by_hash_[entry.hash] = arrival;
    by_nonce_[{entry.entry_point, entry.op.sender, entry.op.nonce}] = arrival;
    bytes_ += entry.encoded_size;
    count_uses(entry, 1);
    by_arrival_.emplace(arrival, std::move(entry));
}

PooledUserOp Mempool::erase(uint64_t arrival) {
    auto node = by_arrival_.extract(arrival);
    PooledUserOp& entry = node.mapped();
    by_hash_.erase(entry.hash);
    by_nonce_.erase({entry.entry_point, entry.op.sender, entry.op.nonce});
    bytes_ -= entry.encoded_size;
    count_uses(entry, -1);
    return std::move(entry);
}

void Mempool::count_uses(const PooledUserOp& entry, int direction) {
    for (const auto& a : named_addresses(entry.entities)) {
        EntityUse& use = uses_[a];
        const auto step = [direction](size_t& n) { n = direction > 0 ? n + 1 : n - 1; };
        step(use.ops);
        if (a == entry.entities.sender.addr) step(use.as_sender);
        if (entry.entities.names_as_non_sender(a)) step(use.as_other);
        if (use.ops == 0) uses_.erase(a);
    }
}

const Mempool::EntityUse* Mempool::uses(const address& entity) const {
    const auto it = uses_.find(entity);
    return it == uses_.end() ? nullptr : &it->second;
}

size_t Mempool::entity_count(const address& entity) const {
    const EntityUse* use = uses(entity);
    return use ? use->ops : 0;
}

uint256 Mempool::paymaster_pending_cost(const address& entry_point,
                                        const address& paymaster) const {
    uint256 total;
    for (const auto& [arrival, entry] : by_arrival_)
        if (entry.entry_point == entry_point && entry.entities.paymaster &&
            entry.entities.paymaster->addr == paymaster)
            total = saturating_add(total, max_cost(entry));
    return total;
}

std::optional<PooledUserOp> Mempool::remove(const hash256& hash) {
    const auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return std::nullopt;
    return erase(it->second);
}

std::optional<PooledUserOp> Mempool::remove_included(const hash256& hash, Reputation& reputation) {
    auto entry = remove(hash);
    if (entry)
        for (const auto& a : reputation_addresses(entry->entities))
            reputation.add_included(a);
    return entry;
}

std::vector<hash256> Mempool::remove_entity(const address& entity) {
    std::vector<uint64_t> doomed;
    for (const auto& [arrival, entry] : by_arrival_)
        if (entry.entities.names(entity)) doomed.push_back(arrival);
    std::vector<hash256> removed;
    for (const uint64_t arrival : doomed)
        removed.push_back(erase(arrival).hash);
    return removed;
}

std::vector<hash256> Mempool::remove_banned(const Reputation& reputation) {
    std::vector<uint64_t> doomed;
    for (const auto& [arrival, entry] : by_arrival_)
        for (const auto& [role, e] : entry.entities.all())
            if (reputation.status(e.addr) == ReputationStatus::Banned) {
                doomed.push_back(arrival);
                break;
            }
    std::vector<hash256> removed;
    for (const uint64_t arrival : doomed)
        removed.push_back(erase(arrival).hash);
    return removed;
}

std::vector<hash256> Mempool::remove_expired(uint64_t timestamp) {
    std::vector<uint64_t> doomed;
    for (const auto& [arrival, entry] : by_arrival_)
        if (entry.valid_until != 0 && entry.valid_until < timestamp) doomed.push_back(arrival);
    std::vector<hash256> removed;
    for (const uint64_t arrival : doomed)
        removed.push_back(erase(arrival).hash);
    return removed;
}

std::vector<hash256> Mempool::remove_stale_throttled(uint64_t block_number,
                                                     const Reputation& reputation) {
    std::vector<uint64_t> doomed;
    for (const auto& [arrival, entry] : by_arrival_) {
        if (block_number < entry.block_number ||
            block_number - entry.block_number < limits_.throttled_entity_live_blocks)
            continue;
        for (const auto& [role, e] : entry.entities.all())
            if (reputation.status(e.addr) == ReputationStatus::Throttled) {
                doomed.push_back(arrival);
                break;
            }
    }
    std::vector<hash256> removed;
    for (const uint64_t arrival : doomed)
        removed.push_back(erase(arrival).hash);
    return removed;
}

std::optional<PooledUserOp> Mempool::drop_failed_validation(const hash256& hash,
                                                            const std::optional<address>& blamed,
                                                            Reputation& reputation) {
    auto entry = remove(hash);
    if (!entry) return std::nullopt;
    for (const auto& a : reputation_addresses(entry->entities))
        reputation.add_seen(a, -1);
    if (blamed) reputation.add_seen(*blamed, 1);
    return entry;
}

std::vector<hash256> Mempool::drop_failed_in_bundle(const hash256& hash,
                                                    const std::optional<address>& blamed,
                                                    Reputation& reputation) {
    auto entry = remove(hash);
    if (!entry) return {};
    for (const auto& a : reputation_addresses(entry->entities))
        reputation.add_seen(a, -1);
    std::vector<hash256> removed{hash};
    if (!blamed) return removed;
    reputation.crashed_handle_ops(*blamed);
    // The blamed entity's other ops go (GREP-010); their other entities did nothing wrong, so
    // their counts for those ops are undone too.
    std::vector<uint64_t> doomed;
    for (const auto& [arrival, other] : by_arrival_)
        if (other.entities.names(*blamed)) doomed.push_back(arrival);
    for (const uint64_t arrival : doomed) {
        const PooledUserOp other = erase(arrival);
        for (const auto& a : reputation_addresses(other.entities))
            if (a != *blamed) reputation.add_seen(a, -1);
        removed.push_back(other.hash);
    }
    return removed;
}

bool Mempool::update_reads(const hash256& hash, ValidationReads reads) {
    const auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return false;
    by_arrival_.at(it->second).reads = std::move(reads);
    return true;
}

bool Mempool::renew(const hash256& hash, const UserOperation& op, uint64_t valid_after,
                    uint64_t valid_until, ValidationReads reads) {
    const auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return false;
    PooledUserOp& entry = by_arrival_.at(it->second);
    bytes_ -= entry.encoded_size;
    entry.op = op;
    entry.encoded_size = encoded_size(op);
    bytes_ += entry.encoded_size;
    entry.valid_after = valid_after;
    entry.valid_until = valid_until;
    entry.reads = std::move(reads);
    return true;
}

std::vector<hash256> Mempool::touched(const StateChanges& changes) const {
    std::vector<hash256> out;
    for (const auto& [arrival, entry] : by_arrival_) {
        const bool hit =
            std::any_of(entry.reads.accounts.begin(), entry.reads.accounts.end(),
                        [&](const address& a) { return changes.accounts.contains(a); }) ||
            std::any_of(entry.reads.slots.begin(), entry.reads.slots.end(),
                        [&](const StorageSlot& s) { return changes.slots.contains(s); });
        if (hit) out.push_back(entry.hash);
    }
    return out;
}

std::vector<const PooledUserOp*> Mempool::dump() const {
    std::vector<const PooledUserOp*> out;
    out.reserve(by_arrival_.size());
    for (const auto& [arrival, entry] : by_arrival_)
        out.push_back(&entry);
    return out;
}

void Mempool::clear() {
    by_arrival_.clear();
    by_hash_.clear();
    by_nonce_.clear();
    uses_.clear();
    bytes_ = 0;
}

}  // namespace krnl::aa
