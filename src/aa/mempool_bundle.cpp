// Mempool::select_for_bundle: which pooled ops go into the next handleOps, and in what order.
#include <algorithm>
#include <queue>

#include "aa/mempool.hpp"
#include "aa/mempool_fees.hpp"

namespace krnl::aa {
namespace {

// A sender's ops of one nonce key, in sequence order.
struct NonceQueue {
    std::vector<const PooledUserOp*> ops;
    size_t next = 0;
};

struct Candidate {
    uint256 tip;
    uint64_t arrival;
    size_t queue;
};

// Highest tip first, then the earliest arrival.
struct CandidateOrder {
    bool operator()(const Candidate& a, const Candidate& b) const {
        if (a.tip != b.tip) return a.tip < b.tip;
        return a.arrival > b.arrival;
    }
};

}  // namespace

std::vector<const PooledUserOp*> Mempool::select_for_bundle(const BundleRequest& request,
                                                            const Reputation& reputation) const {
    std::vector<NonceQueue> queues;
    for (auto it = by_nonce_.lower_bound({request.entry_point, address{}, uint256(0)});
         it != by_nonce_.end() && it->first.entry_point == request.entry_point; ++it) {
        const PooledUserOp* entry = &by_arrival_.at(it->second);
        const bool same_queue = !queues.empty() &&
                                queues.back().ops.back()->op.sender == entry->op.sender &&
                                queues.back().ops.back()->op.nonce_key() == entry->op.nonce_key();
        if (!same_queue) queues.emplace_back();
        queues.back().ops.push_back(entry);
    }

    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> candidates;
    const auto offer = [&](size_t q) {
        const PooledUserOp* entry = queues[q].ops[queues[q].next];
        // A fee cap below the base fee waits, and so do the later nonces behind it.
        if (const auto tip = effective_tip(entry->op, request.base_fee))
            candidates.push({*tip, entry->arrival, q});
    };
    for (size_t q = 0; q < queues.size(); ++q)
        offer(q);

    std::vector<const PooledUserOp*> chosen;
    std::unordered_map<address, size_t> per_sender;
    std::unordered_map<address, size_t> per_entity;  // ops naming each address in the bundle
    uint256 gas;
    while (!candidates.empty() && (request.max_ops == 0 || chosen.size() < request.max_ops)) {
        const Candidate best = candidates.top();
        candidates.pop();
        NonceQueue& queue = queues[best.queue];
        const PooledUserOp* entry = queue.ops[queue.next];
        const address& sender = entry->op.sender;

        if (per_sender[sender] >= request.max_ops_per_sender) continue;
        if (!in_time_range(*entry, request.timestamp)) continue;
        bool refused = false;
        for (const auto& [role, entity] : entry->entities.all()) {
            const ReputationStatus status = reputation.status(entity.addr);
            // GREP-010; GREP-020 (a throttled entity's ops up to a count per bundle).
            if (status == ReputationStatus::Banned ||
                (status == ReputationStatus::Throttled &&
                 per_entity[entity.addr] >= limits_.throttled_entity_bundle)) {
                refused = true;
                break;
            }
        }
        if (refused) continue;
        // STO-041: storage of a contract that is the sender of another pooled op.
        for (const auto& slot : entry->reads.slots) {
            if (slot.account == sender) continue;
            const EntityUse* use = uses(slot.account);
            if (use && use->as_sender > 0) {
                refused = true;
                break;
            }
        }
        if (refused) continue;
        const uint256 gas_after = saturating_add(gas, entry->max_gas);
        if (gas_after > request.max_gas) continue;

        chosen.push_back(entry);
        gas = gas_after;
        ++per_sender[sender];
        std::vector<address> counted;
        for (const auto& [role, entity] : entry->entities.all())
            if (std::find(counted.begin(), counted.end(), entity.addr) == counted.end()) {
                counted.push_back(entity.addr);
                ++per_entity[entity.addr];
            }

        // The next op of the key follows only if its sequence is the next one.
        const uint64_t sequence = entry->op.nonce_sequence();
        if (++queue.next < queue.ops.size() &&
            queue.ops[queue.next]->op.nonce_sequence() == sequence + 1 &&
            per_sender[sender] < request.max_ops_per_sender)
            offer(best.queue);
    }
    return chosen;
}

}  // namespace krnl::aa
