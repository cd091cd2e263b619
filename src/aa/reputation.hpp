// ERC-7562 reputation: per entity, how many valid user operations the bundler saw (opsSeen) and
// how many of those were included on chain (opsIncluded), decayed hourly; the status OK /
// THROTTLED / BANNED derived from them; and who is blamed when an op fails after validation.
// No timers and no I/O: the caller passes the clock and the outcomes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "aa/user_operation.hpp"

namespace krnl::aa {

// ERC-7562, "Constants". MIN_STAKE_VALUE is per chain and lives in the node's configuration.
inline constexpr uint64_t kMinUnstakeDelay = 86400;              // MIN_UNSTAKE_DELAY, seconds
inline constexpr size_t kSameSenderMempoolCount = 4;             // SAME_SENDER_MEMPOOL_COUNT
inline constexpr size_t kSameUnstakedEntityMempoolCount = 10;    // SAME_UNSTAKED_ENTITY_...
inline constexpr size_t kThrottledEntityMempoolCount = 4;        // THROTTLED_ENTITY_MEMPOOL_COUNT
inline constexpr uint64_t kThrottledEntityLiveBlocks = 10;       // THROTTLED_ENTITY_LIVE_BLOCKS
inline constexpr size_t kThrottledEntityBundleCount = 4;         // THROTTLED_ENTITY_BUNDLE_COUNT
inline constexpr uint64_t kBanOpsSeenPenalty = 10000;            // BAN_OPS_SEEN_PENALTY
inline constexpr uint64_t kMaxOpsAllowedUnstakedEntity = 10000;  // MAX_OPS_ALLOWED_UNSTAKED_ENTITY
inline constexpr uint64_t kReputationDecayIntervalSeconds = 3600;  // "updated every hour"

// MIN_INCLUSION_RATE_DENOMINATOR, THROTTLING_SLACK and BAN_SLACK.
struct ReputationParams {
    uint64_t min_inclusion_rate_denominator = 10;
    uint64_t throttling_slack = 10;
    uint64_t ban_slack = 50;
};
// The spec's values: a bundler expects 1 in 10 seen ops of an entity to be included, a client
// (a node that only relays) 1 in 100.
inline constexpr ReputationParams kBundlerReputationParams{10, 10, 50};
inline constexpr ReputationParams kClientReputationParams{100, 10, 50};

// The numbers are those of the reference bundler's dumpReputation ("status": 0, 1, 2).
enum class ReputationStatus : uint8_t { Ok = 0, Throttled = 1, Banned = 2 };
std::string_view reputation_status_name(ReputationStatus status);  // "ok", "throttled", "banned"

// One row of debug_bundler_dumpReputation / setReputation. `status` is computed on dump and
// ignored on set.
struct ReputationEntry {
    address entity;
    uint64_t ops_seen = 0;
    uint64_t ops_included = 0;
    ReputationStatus status = ReputationStatus::Ok;
    friend bool operator==(const ReputationEntry&, const ReputationEntry&) = default;
};

// The entities of one op (ERC-7562 "Entity") with their stake as validation read it
// (SREP-010: at least MIN_STAKE_VALUE locked for at least MIN_UNSTAKE_DELAY).
enum class EntityRole : uint8_t { Sender, Factory, Paymaster, Aggregator };
std::string_view entity_role_name(EntityRole role);  // "sender", "factory", ...

struct Entity {
    address addr;
    bool staked = false;
    friend bool operator==(const Entity&, const Entity&) = default;
};

struct OpEntities {
    Entity sender;
    std::optional<Entity> factory;
    std::optional<Entity> paymaster;
    std::optional<Entity> aggregator;

    // Every entity present, with its role, sender first.
    std::vector<std::pair<EntityRole, Entity>> all() const;
    // Whether `entity` plays any role; any role but the sender's.
    bool names(const address& entity) const;
    bool names_as_non_sender(const address& entity) const;
    friend bool operator==(const OpEntities&, const OpEntities&) = default;
};

// The entities an op names, all unstaked (the caller sets `staked` from validation's stake
// infos). The EIP-7702 factory marker is not a contract and so not an entity.
OpEntities entities_of(const UserOperation& op, const std::optional<address>& aggregator);

// The addresses whose opsSeen / opsIncluded an op counts towards: factory, paymaster and
// aggregator, and the sender only when staked (ERC-7562 counts an account as an entity only
// then). Each address once, even when it plays two roles in the op.
std::vector<address> reputation_addresses(const OpEntities& entities);

// Who answers for an op that failed after passing validation (ERC-7562 EREP-015/020/030):
// a factory failure blames the factory; an account failure blames a staked factory that deployed
// it, else the account; a paymaster (or aggregator) failure blames a staked account, else the
// paymaster (aggregator). nullopt when the failing entity is absent.
std::optional<address> entity_to_blame(EntityRole failing, const OpEntities& entities);
// The same from the EntryPoint's reason ("AA1x" factory, "AA2x" account, "AA3x" paymaster);
// nullopt for other reasons (gas limits, postOp, ...), which no entity is blamed for.
std::optional<address> entity_to_blame(std::string_view failed_op_reason,
                                       const OpEntities& entities);

class Reputation {
public:
    explicit Reputation(ReputationParams params = kBundlerReputationParams) : params_(params) {}

    const ReputationParams& params() const { return params_; }

    // BANNED when opsSeen / MIN_INCLUSION_RATE_DENOMINATOR > opsIncluded + BAN_SLACK, THROTTLED
    // when it exceeds opsIncluded + THROTTLING_SLACK, else OK (unknown entities are OK).
    ReputationStatus status(const address& entity) const;
    std::optional<ReputationEntry> find(const address& entity) const;

    // opsSeen += delta, never below zero (a negative delta undoes a count, EREP-015).
    void add_seen(const address& entity, int64_t delta = 1);
    void add_included(const address& entity);

    // GREP-040: an entity whose op failed in handleOps after passing second validation gets
    // opsSeen = BAN_OPS_SEEN_PENALTY and opsIncluded = 0, which bans it.
    void crashed_handle_ops(const address& entity);

    // UREP-020: how many ops an unstaked non-sender entity may have in the mempool:
    // SAME_UNSTAKED_ENTITY_MEMPOOL_COUNT + inclusionRate * min(opsIncluded,
    // MAX_OPS_ALLOWED_UNSTAKED_ENTITY), rounded up (the spec compares the count against the
    // real value), the inclusion rate capped at 1.
    size_t unstaked_entity_allowance(const address& entity,
                                     size_t base = kSameUnstakedEntityMempoolCount) const;

    // Applies the hourly decay (value = value * 23 // 24) once per whole hour between the
    // previous call and `now_seconds`; the first call only sets the clock. Entries decayed to
    // zero are forgotten.
    void advance_clock(uint64_t now_seconds);

    // debug_bundler_setReputation (replaces the given entities' counters), dumpReputation (with
    // each status), clearReputation.
    void set(std::span<const ReputationEntry> entries);
    std::vector<ReputationEntry> dump() const;  // by address
    void clear();
    size_t size() const { return entries_.size(); }

private:
    struct Counters {
        uint64_t seen = 0;
        uint64_t included = 0;
    };
    ReputationStatus status_of(const Counters& counters) const;

    ReputationParams params_;
    std::map<address, Counters> entries_;  // ordered: dump is stable
    std::optional<uint64_t> last_decay_;
};

}  // namespace krnl::aa
