#include "chain/tx_pool.hpp"

#include <queue>

namespace krnl::chain {
namespace {

// What the block producer earns per gas: min(tip cap, fee cap - base fee).
uint256 effective_tip(const Transaction& tx, const uint256& base_fee) {
    const uint256 above_base = tx.max_fee_per_gas - base_fee;
    return tx.max_priority_fee_per_gas < above_base ? tx.max_priority_fee_per_gas : above_base;
}

bool bumped_enough(const uint256& old_fee, const uint256& new_fee, unsigned percent) {
    // new >= old * (100 + percent) / 100, without overflow for any fee below 2^248.
    return new_fee * uint256(100) >= old_fee * uint256(100 + percent);
}

}  // namespace

std::string_view pool_error_message(PoolError error) {
    switch (error) {
        case PoolError::AlreadyKnown:
            return "already known";
        case PoolError::ReplacementUnderpriced:
            return "replacement transaction underpriced";
        case PoolError::PoolFull:
            return "txpool is full";
        case PoolError::PoolBytesFull:
            return "txpool is full: the pooled transactions reach the pool's size in bytes";
        case PoolError::SenderFull:
            return "too many transactions from this sender in the pool";
        case PoolError::NonceTooFarAhead:
            return "nonce too high: too far ahead of the account nonce";
    }
    return "rejected by the pool";
}

std::expected<std::optional<hash256>, PoolError> TxPool::add(PooledTx tx, uint64_t account_nonce) {
    if (by_hash_.contains(tx.hash)) return std::unexpected(PoolError::AlreadyKnown);
    if (tx.tx.nonce > account_nonce + limits_.max_nonce_gap)
        return std::unexpected(PoolError::NonceTooFarAhead);
    tx.encoded_size = encode_transaction(tx.tx).size();
    auto& queue = by_sender_[tx.sender];
    std::optional<hash256> replaced;
    auto it = queue.find(tx.tx.nonce);
    // What the pool would hold with this transaction in (in place of the one it replaces).
    const size_t freed = it != queue.end() ? it->second.encoded_size : 0;
    if (bytes_ - freed + tx.encoded_size > limits_.max_bytes) {
        if (queue.empty()) by_sender_.erase(tx.sender);
        return std::unexpected(PoolError::PoolBytesFull);
    }
    if (it != queue.end()) {
        const Transaction& old = it->second.tx;
        if (!bumped_enough(old.max_fee_per_gas, tx.tx.max_fee_per_gas,
                           limits_.price_bump_percent) ||
            !bumped_enough(old.max_priority_fee_per_gas, tx.tx.max_priority_fee_per_gas,
                           limits_.price_bump_percent))
            return std::unexpected(PoolError::ReplacementUnderpriced);
        replaced = it->second.hash;
        by_hash_.erase(it->second.hash);
        bytes_ -= it->second.encoded_size;
        queue.erase(it);
    } else {
        if (queue.size() >= limits_.max_per_sender) {
            if (queue.empty()) by_sender_.erase(tx.sender);
            return std::unexpected(PoolError::SenderFull);
        }
        if (by_hash_.size() >= limits_.max_transactions) {
            if (queue.empty()) by_sender_.erase(tx.sender);
            return std::unexpected(PoolError::PoolFull);
        }
    }
    tx.arrival = arrivals_++;
    bytes_ += tx.encoded_size;
    by_hash_[tx.hash] = {tx.sender, tx.tx.nonce};
    const uint64_t nonce = tx.tx.nonce;
    queue.emplace(nonce, std::move(tx));
    return replaced;
}

const PooledTx* TxPool::find(const hash256& hash) const {
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return nullptr;
    return &by_sender_.at(it->second.first).at(it->second.second);
}

bool TxPool::remove(const hash256& hash) {
    auto it = by_hash_.find(hash);
    if (it == by_hash_.end()) return false;
    auto sender = by_sender_.find(it->second.first);
    auto pooled = sender->second.find(it->second.second);
    bytes_ -= pooled->second.encoded_size;
    sender->second.erase(pooled);
    if (sender->second.empty()) by_sender_.erase(sender);
    by_hash_.erase(it);
    return true;
}

std::vector<hash256> TxPool::remove_below(const address& sender, uint64_t account_nonce) {
    std::vector<hash256> removed;
    auto it = by_sender_.find(sender);
    if (it == by_sender_.end()) return removed;
    auto& queue = it->second;
    while (!queue.empty() && queue.begin()->first < account_nonce) {
        removed.push_back(queue.begin()->second.hash);
        by_hash_.erase(queue.begin()->second.hash);
        bytes_ -= queue.begin()->second.encoded_size;
        queue.erase(queue.begin());
    }
    if (queue.empty()) by_sender_.erase(it);
    return removed;
}

void TxPool::clear() {
    by_sender_.clear();
    by_hash_.clear();
    bytes_ = 0;
}

uint64_t TxPool::pending_nonce(const address& sender, uint64_t account_nonce) const {
    auto it = by_sender_.find(sender);
    if (it == by_sender_.end()) return account_nonce;
    uint64_t next = account_nonce;
    for (auto q = it->second.lower_bound(account_nonce); q != it->second.end() && q->first == next;
         ++q)
        ++next;
    return next;
}

std::vector<const PooledTx*> TxPool::executable(
    const std::function<uint64_t(const address&)>& nonce_of, const uint256& base_fee) const {
    // Each sender's run of consecutive nonces; a heap over the runs' next transactions.
    struct Run {
        std::map<uint64_t, PooledTx>::const_iterator next, end;
        uint256 tip;
    };
    auto worse = [](const Run& a, const Run& b) {
        if (a.tip != b.tip) return a.tip < b.tip;
        return a.next->second.arrival > b.next->second.arrival;
    };
    std::priority_queue<Run, std::vector<Run>, decltype(worse)> heap(worse);
    for (const auto& [sender, queue] : by_sender_) {
        auto first = queue.find(nonce_of(sender));
        if (first == queue.end() || first->second.tx.max_fee_per_gas < base_fee) continue;
        heap.push({first, queue.end(), effective_tip(first->second.tx, base_fee)});
    }
    std::vector<const PooledTx*> out;
    while (!heap.empty()) {
        Run run = heap.top();
        heap.pop();
        out.push_back(&run.next->second);
        const uint64_t nonce = run.next->first;
        if (++run.next == run.end || run.next->first != nonce + 1 ||
            run.next->second.tx.max_fee_per_gas < base_fee)
            continue;
        run.tip = effective_tip(run.next->second.tx, base_fee);
        heap.push(run);
    }
    return out;
}

std::vector<const PooledTx*> TxPool::all() const {
    std::vector<const PooledTx*> out;
    for (const auto& [sender, queue] : by_sender_)
        for (const auto& [nonce, tx] : queue)
            out.push_back(&tx);
    return out;
}

std::pair<size_t, size_t> TxPool::counts(
    const std::function<uint64_t(const address&)>& nonce_of) const {
    size_t pending = 0;
    for (const auto& [sender, queue] : by_sender_) {
        const uint64_t nonce = nonce_of(sender);
        pending += pending_nonce(sender, nonce) - nonce;
    }
    return {pending, by_hash_.size() - pending};
}

}  // namespace krnl::chain
