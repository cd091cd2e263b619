#include "aa/reputation.hpp"

#include <algorithm>

namespace krnl::aa {
namespace {

// value * 23 // 24 without overflowing: v - ceil(v / 24).
uint64_t decayed(uint64_t value) {
    return value - (value / 24 + (value % 24 != 0 ? 1 : 0));
}

// After this many hourly steps every uint64 counter has decayed to zero (23/24 per step takes
// 2^64 below 24 in ~1040 steps, then at least 1 per step).
constexpr uint64_t kStepsToForgetAll = 1100;

}  // namespace

std::string_view reputation_status_name(ReputationStatus status) {
    switch (status) {
        case ReputationStatus::Ok:
            return "ok";
        case ReputationStatus::Throttled:
            return "throttled";
        case ReputationStatus::Banned:
            return "banned";
    }
    return "unknown";
}

std::string_view entity_role_name(EntityRole role) {
    switch (role) {
        case EntityRole::Sender:
            return "sender";
        case EntityRole::Factory:
            return "factory";
        case EntityRole::Paymaster:
            return "paymaster";
        case EntityRole::Aggregator:
            return "aggregator";
    }
    return "entity";
}

std::vector<std::pair<EntityRole, Entity>> OpEntities::all() const {
    std::vector<std::pair<EntityRole, Entity>> out{{EntityRole::Sender, sender}};
    if (factory) out.emplace_back(EntityRole::Factory, *factory);
    if (paymaster) out.emplace_back(EntityRole::Paymaster, *paymaster);
    if (aggregator) out.emplace_back(EntityRole::Aggregator, *aggregator);
    return out;
}

bool OpEntities::names(const address& entity) const {
    return sender.addr == entity || names_as_non_sender(entity);
}

bool OpEntities::names_as_non_sender(const address& entity) const {
    return (factory && factory->addr == entity) || (paymaster && paymaster->addr == entity) ||
           (aggregator && aggregator->addr == entity);
}

OpEntities entities_of(const UserOperation& op, const std::optional<address>& aggregator) {
    OpEntities e;
    e.sender.addr = op.sender;
    if (op.factory && *op.factory != kEip7702FactoryMarker) e.factory = Entity{*op.factory};
    if (op.paymaster) e.paymaster = Entity{*op.paymaster};
    if (aggregator) e.aggregator = Entity{*aggregator};
    return e;
}

std::vector<address> reputation_addresses(const OpEntities& entities) {
    std::vector<address> out;
    const auto add = [&out](const address& a) {
        if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    };
    if (entities.sender.staked) add(entities.sender.addr);
    if (entities.factory) add(entities.factory->addr);
    if (entities.paymaster) add(entities.paymaster->addr);
    if (entities.aggregator) add(entities.aggregator->addr);
    return out;
}

std::optional<address> entity_to_blame(EntityRole failing, const OpEntities& entities) {
    switch (failing) {
        case EntityRole::Factory:
            if (entities.factory) return entities.factory->addr;
            return std::nullopt;
        case EntityRole::Sender:
            // EREP-020: a staked factory answers for the account it deploys.
            if (entities.factory && entities.factory->staked) return entities.factory->addr;
            return entities.sender.addr;
        case EntityRole::Paymaster:
        case EntityRole::Aggregator: {
            // EREP-030: a staked account answers for the other entities it chose.
            if (entities.sender.staked) return entities.sender.addr;
            const auto& other =
                failing == EntityRole::Paymaster ? entities.paymaster : entities.aggregator;
            if (other) return other->addr;
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<address> entity_to_blame(std::string_view failed_op_reason,
                                       const OpEntities& entities) {
    if (failed_op_reason.size() < 3 || failed_op_reason.substr(0, 2) != "AA") return std::nullopt;
    switch (failed_op_reason[2]) {
        case '1':  // AA1x: initCode / factory
            return entity_to_blame(EntityRole::Factory, entities);
        case '2':  // AA2x: account validation
            return entity_to_blame(EntityRole::Sender, entities);
        case '3':  // AA3x: paymaster validation
            return entity_to_blame(EntityRole::Paymaster, entities);
        default:
            return std::nullopt;
    }
}

ReputationStatus Reputation::status_of(const Counters& counters) const {
    const uint64_t denominator = std::max<uint64_t>(params_.min_inclusion_rate_denominator, 1);
    const uint64_t max_seen = counters.seen / denominator;
    if (max_seen <= counters.included) return ReputationStatus::Ok;
    const uint64_t excess = max_seen - counters.included;
    if (excess > params_.ban_slack) return ReputationStatus::Banned;
    if (excess > params_.throttling_slack) return ReputationStatus::Throttled;
    return ReputationStatus::Ok;
}

ReputationStatus Reputation::status(const address& entity) const {
    const auto it = entries_.find(entity);
    return it == entries_.end() ? ReputationStatus::Ok : status_of(it->second);
}

std::optional<ReputationEntry> Reputation::find(const address& entity) const {
    const auto it = entries_.find(entity);
    if (it == entries_.end()) return std::nullopt;
    return ReputationEntry{entity, it->second.seen, it->second.included, status_of(it->second)};
}

void Reputation::add_seen(const address& entity, int64_t delta) {
    auto& counters = entries_[entity];
    if (delta >= 0) {
        const auto up = static_cast<uint64_t>(delta);
        counters.seen = counters.seen > UINT64_MAX - up ? UINT64_MAX : counters.seen + up;
    } else {
        const uint64_t down = static_cast<uint64_t>(-(delta + 1)) + 1;  // |delta| without UB
        counters.seen = counters.seen > down ? counters.seen - down : 0;
    }
}

void Reputation::add_included(const address& entity) {
    auto& counters = entries_[entity];
    if (counters.included != UINT64_MAX) ++counters.included;
}

void Reputation::crashed_handle_ops(const address& entity) {
    entries_[entity] = Counters{kBanOpsSeenPenalty, 0};
}

size_t Reputation::unstaked_entity_allowance(const address& entity, size_t base) const {
    const auto it = entries_.find(entity);
    if (it == entries_.end() || it->second.seen == 0) return base;
    const uint64_t seen = it->second.seen;
    const uint64_t included = std::min(it->second.included, seen);  // inclusion rate <= 1
    const uint64_t weight = std::min(it->second.included, kMaxOpsAllowedUnstakedEntity);
    // ceil(included / seen * weight), in 128 bits so that no product overflows.
    const unsigned __int128 product = static_cast<unsigned __int128>(included) * weight;
    const uint64_t bonus = static_cast<uint64_t>((product + seen - 1) / seen);
    return base + static_cast<size_t>(bonus);
}

void Reputation::advance_clock(uint64_t now_seconds) {
    if (!last_decay_) {
        last_decay_ = now_seconds;
        return;
    }
    if (now_seconds <= *last_decay_) return;  // a clock that went back decays nothing
    const uint64_t hours = (now_seconds - *last_decay_) / kReputationDecayIntervalSeconds;
    if (hours == 0) return;
    *last_decay_ += hours * kReputationDecayIntervalSeconds;
    if (hours >= kStepsToForgetAll) {
        entries_.clear();
        return;
    }
    for (auto it = entries_.begin(); it != entries_.end();) {
        for (uint64_t h = 0; h < hours && (it->second.seen | it->second.included) != 0; ++h) {
            it->second.seen = decayed(it->second.seen);
            it->second.included = decayed(it->second.included);
        }
        if (it->second.seen == 0 && it->second.included == 0)
            it = entries_.erase(it);
        else
            ++it;
    }
}

void Reputation::set(std::span<const ReputationEntry> entries) {
    for (const auto& e : entries)
        entries_[e.entity] = Counters{e.ops_seen, e.ops_included};
}

std::vector<ReputationEntry> Reputation::dump() const {
    std::vector<ReputationEntry> out;
    out.reserve(entries_.size());
    for (const auto& [entity, counters] : entries_)
        out.push_back({entity, counters.seen, counters.included, status_of(counters)});
    return out;
}

void Reputation::clear() {
    entries_.clear();
}

}  // namespace krnl::aa
