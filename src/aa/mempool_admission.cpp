// Mempool::add: the rules an op meets to enter the pool (replacement, bounds, ERC-7562's
// reputation and stake limits, STO-040, EREP-010) and the errors that tell a wallet what to do.
#include "aa/mempool.hpp"
#include "aa/mempool_fees.hpp"
#include "aa/user_operation_json.hpp"

namespace krnl::aa {
namespace {

rpc::RpcError pool_error(int code, std::string message, std::optional<rpc::json> data = {}) {
    return rpc::RpcError{code, std::move(message), std::move(data)};
}

std::string who(EntityRole role, const address& entity) {
    return std::string(entity_role_name(role)) + " " + to_hex(entity);
}

rpc::json who_data(EntityRole role, const address& entity) {
    return rpc::json{{std::string(entity_role_name(role)), to_hex(entity)}};
}

}  // namespace

std::expected<std::optional<hash256>, rpc::RpcError> Mempool::add(PooledUserOp entry,
                                                                  Reputation& reputation,
                                                                  const AddOptions& options) {
    if (by_hash_.contains(entry.hash))
        return std::unexpected(pool_error(rpc::code::kInvalidParams,
                                          "already known: UserOperation " + to_hex(entry.hash) +
                                              " is in the mempool; wait for its receipt"));
    const auto slot = by_nonce_.find({entry.entry_point, entry.op.sender, entry.op.nonce});
    const PooledUserOp* replaced =
        slot == by_nonce_.end() ? nullptr : &by_arrival_.at(slot->second);

    if (replaced) {
        const unsigned bump = limits_.replacement_bump_percent;
        const uint256 min_fee = bumped_fee(replaced->op.max_fee_per_gas, bump);
        const uint256 min_tip = bumped_fee(replaced->op.max_priority_fee_per_gas, bump);
        if (entry.op.max_fee_per_gas < min_fee || entry.op.max_priority_fee_per_gas < min_tip)
            return std::unexpected(pool_error(
                rpc::code::kInvalidParams,
                "replacement op must increase maxFeePerGas and MaxPriorityFeePerGas by at least " +
                    std::to_string(bump) + "%: the pooled op " + to_hex(replaced->hash) +
                    " of this sender and nonce has maxFeePerGas " +
                    to_string(replaced->op.max_fee_per_gas) + " and maxPriorityFeePerGas " +
                    to_string(replaced->op.max_priority_fee_per_gas) + ", so send at least " +
                    to_string(min_fee) + " and " + to_string(min_tip)));
    }

    // -32005 naming the [bundler] key that sets the bound.
    const auto full = [](const std::string& what, uint64_t limit, const char* key) {
        return rpc::RpcError{
            rpc::code::kLimitExceeded,
            what + ": at most " + std::to_string(limit) + " (bundler." + key + ")"};
    };
    if (!replaced && by_arrival_.size() >= limits_.max_ops)
        return std::unexpected(
            full("the mempool is full: UserOperations pooled", limits_.max_ops, "max_pending_ops"));
    const size_t freed = replaced ? replaced->encoded_size : 0;
    if (bytes_ - freed + entry.encoded_size > limits_.max_bytes)
        return std::unexpected(full("the mempool is full: bytes of the pooled UserOperations",
                                    limits_.max_bytes, "max_pool_bytes"));

    if (!options.unchecked) {
        if (auto checked = check_entities(entry, replaced, reputation); !checked)
            return std::unexpected(std::move(checked.error()));
        if (options.paymaster_deposit && entry.entities.paymaster)
            if (auto checked = check_paymaster_deposit(entry, replaced, *options.paymaster_deposit);
                !checked)
                return std::unexpected(std::move(checked.error()));
    }

    std::optional<hash256> replaced_hash;
    if (replaced) {
        // The replacement keeps the place of the op it replaces in arrival order.
        entry.arrival = replaced->arrival;
        const PooledUserOp old = erase(replaced->arrival);
        for (const auto& a : reputation_addresses(old.entities))
            reputation.add_seen(a, -1);
        replaced_hash = old.hash;
    } else {
        entry.arrival = arrivals_++;
    }
    entry.unchecked = options.unchecked;
    for (const auto& a : reputation_addresses(entry.entities))
        reputation.add_seen(a, 1);
    insert(std::move(entry));
    return replaced_hash;
}

std::expected<void, rpc::RpcError> Mempool::check_entities(const PooledUserOp& entry,
                                                           const PooledUserOp* replaced,
                                                           const Reputation& reputation) const {
    // An address in two roles is checked in each: the stricter limit applies.
    for (const auto& [role, entity] : entry.entities.all()) {
        const ReputationStatus status = reputation.status(entity.addr);
        if (status == ReputationStatus::Banned)
            return std::unexpected(
                pool_error(code::kBannedOrThrottled,
                           who(role, entity.addr) +
                               " is banned: too few of the UserOperations naming it were included "
                               "(ERC-7562 GREP-010); its reputation recovers as it decays hourly",
                           who_data(role, entity.addr)));
        // A replacement that keeps the entity does not add to its count.
        if (replaced && replaced->entities.names(entity.addr)) continue;
        const size_t count = entity_count(entity.addr);
        if (status == ReputationStatus::Throttled && count >= limits_.throttled_entity)
            return std::unexpected(pool_error(
                code::kBannedOrThrottled,
                who(role, entity.addr) + " is throttled and already has " + std::to_string(count) +
                    " UserOperations in the mempool, the most a throttled entity may have "
                    "(ERC-7562 GREP-020): wait for them to be included",
                who_data(role, entity.addr)));
        if (entity.staked) continue;  // SREP-040: an OK staked entity is not limited
        const bool sender = role == EntityRole::Sender;
        const size_t allowed = sender ? limits_.same_sender
                                      : reputation.unstaked_entity_allowance(
                                            entity.addr, limits_.same_unstaked_entity);
        if (count >= allowed) {
            rpc::json data = who_data(role, entity.addr);
            data["minimumStake"] = to_hex(limits_.min_stake);
            data["minimumUnstakeDelay"] = to_hex(uint256(limits_.min_unstake_delay));
            return std::unexpected(pool_error(
                code::kStakeTooLow,
                who(role, entity.addr) + " is unstaked and already has " + std::to_string(count) +
                    " UserOperations in the mempool, the most an " + "unstaked " +
                    std::string(entity_role_name(role)) + " may have (ERC-7562 " +
                    (sender ? "UREP-010" : "UREP-020") +
                    "): wait for them to be included, or stake it at the EntryPoint with at "
                    "least " +
                    to_string(limits_.min_stake) + " wei and an unstake delay of at least " +
                    std::to_string(limits_.min_unstake_delay) + " seconds",
                std::move(data)));
        }
    }

    // STO-040: an address is either a sender or another entity across the mempool, not both.
    const address& sender = entry.entities.sender.addr;
    const EntityUse* sender_use = uses(sender);
    size_t sender_as_other = sender_use ? sender_use->as_other : 0;
    if (replaced && replaced->entities.names_as_non_sender(sender)) --sender_as_other;
    if (sender_as_other > 0)
        return std::unexpected(pool_error(
            code::kBannedOpcode,
            "The sender address " + to_hex(sender) +
                " is used as a different entity in another UserOperation currently in mempool "
                "(ERC-7562 STO-040): wait for that UserOperation to be included",
            who_data(EntityRole::Sender, sender)));
    for (const auto& [role, entity] : entry.entities.all()) {
        if (role == EntityRole::Sender) continue;
        const EntityUse* use = uses(entity.addr);
        size_t as_sender = use ? use->as_sender : 0;
        if (replaced && replaced->entities.sender.addr == entity.addr) --as_sender;
        if (as_sender > 0)
            return std::unexpected(
                pool_error(code::kBannedOpcode,
                           "The " + who(role, entity.addr) +
                               " in this UserOperation is used as a sender entity in another "
                               "UserOperation currently in mempool (ERC-7562 STO-040)",
                           who_data(role, entity.addr)));
    }
    return {};
}

std::expected<void, rpc::RpcError> Mempool::check_paymaster_deposit(const PooledUserOp& entry,
                                                                    const PooledUserOp* replaced,
                                                                    const uint256& deposit) const {
    const address& paymaster = entry.entities.paymaster->addr;
    uint256 total = max_cost(entry);
    size_t count = 1;
    for (const auto& [arrival, other] : by_arrival_) {
        if (&other == replaced || other.entry_point != entry.entry_point ||
            !other.entities.paymaster || other.entities.paymaster->addr != paymaster)
            continue;
        total = saturating_add(total, max_cost(other));
        ++count;
    }
    if (total <= deposit) return {};
    return std::unexpected(
        pool_error(code::kPaymasterDepositTooLow,
                   "paymaster " + to_hex(paymaster) + " has a deposit of " + to_string(deposit) +
                       " wei at the EntryPoint, less than the " + to_string(total) + " wei its " +
                       std::to_string(count) +
                       " pending UserOperations (this one included) may cost at their maxFeePerGas "
                       "(ERC-7562 EREP-010): deposit more, or wait for them to be included",
                   who_data(EntityRole::Paymaster, paymaster)));
}

}  // namespace krnl::aa
